/**
 * The free-mail and disposable-mail domain lists: free-mail providers come from `email-providers`
 * (all.json), disposable ones from `disposable-email-domains` (index.json and wildcard.json): no list
 * of our own. Loaded once; a package whose shape changed fails here, loudly, not at call time.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

function loadDomainList(moduleId: string): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded: unknown = require(moduleId);
  if (!Array.isArray(loaded) || loaded.length === 0 || !loaded.every((d) => typeof d === 'string')) {
    throw new Error(
      `The domain list ${moduleId} is not a non-empty array of strings; check the installed package version.`,
    );
  }
  const set = new Set<string>();
  for (const entry of loaded as string[]) {
    const d = entry.trim().toLowerCase().replace(/\.$/, '');
    if (!d) continue;
    set.add(d);
    // eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included
    if (/^[\x00-\x7f]*$/.test(d) && !d.includes('xn--')) continue;
    // The lists mix Unicode and punycode spellings; keep both so either form of an alias matches.
    const ascii = domainToASCII(d);
    if (ascii) {
      set.add(ascii);
      const unicode = domainToUnicode(ascii);
      if (unicode) set.add(unicode);
    }
  }
  return set;
}

export interface DomainLists {
  freemail: Set<string>;
  disposable: Set<string>;
  disposableWildcard: Set<string>;
}

let domainLists: DomainLists | null = null;

/**
 * The lists take a few hundred milliseconds to load, so they are loaded on first use rather than
 * by every command; the daemon calls this at start so that a broken package stops it there.
 */
export function aliasLists(): DomainLists {
  domainLists ??= {
    freemail: loadDomainList('email-providers/all.json'),
    disposable: loadDomainList('disposable-email-domains/index.json'),
    /** Domains any of whose subdomains is disposable. */
    disposableWildcard: loadDomainList('disposable-email-domains/wildcard.json'),
  };
  return domainLists;
}
