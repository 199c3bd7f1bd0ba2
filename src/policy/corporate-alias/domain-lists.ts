/**
 * The free-mail and disposable-mail domain lists: free-mail providers come from `email-providers`
 * (all.json), disposable ones from `disposable-email-domains` (index.json and wildcard.json): no list
 * of our own.
 *
 * Memory and start time: the disposable list has some 120,000 domains. The files are read and
 * parsed here, not require()d (require keeps the parsed array in its cache for good), and each
 * list is kept as one sorted string searched by halving (DomainList), some 2 MB instead of the
 * ~25 MB of Sets of strings. Parsing takes a few hundred milliseconds on a slow machine, so the
 * lists are loaded on first use (the first join request), not at start; the daemon calls
 * checkAliasLists() at start instead, which finds a missing package or a file that is no longer an
 * array of strings in a millisecond, without parsing it. The unit tests load the lists in full,
 * so a new package version with another shape fails them too.
 */
import fs from 'node:fs';
import { domainToASCII, domainToUnicode } from 'node:url';

/** A read-only set of domains: `has` only. */
export interface DomainSet {
  has(domain: string): boolean;
  readonly size: number;
}

// eslint-disable-next-line no-control-regex -- the whole ASCII range, controls included
const ASCII = /^[\x00-\x7f]*$/;
const PLAIN = /^[a-z0-9_.-]*[a-z0-9_-]$/;

/**
 * Domains in little memory: the ASCII spellings (nearly all) in one string, sorted by UTF-16 code
 * unit and each followed by "\n", with the offset of each in a Uint32Array; the few spellings
 * with other characters in a Set.
 */
export class DomainList implements DomainSet {
  private readonly text: string;
  /** starts[i] is where domain i begins in text; starts[size] is text.length. */
  private readonly starts: Uint32Array;
  private readonly other: Set<string>;
  readonly size: number;

  constructor(domains: Iterable<string>) {
    const ascii: string[] = [];
    this.other = new Set();
    for (const d of domains) {
      if (!d) continue;
      if (ASCII.test(d) && !d.includes('\n')) ascii.push(d);
      else this.other.add(d);
    }
    // The published lists come sorted: a pass to see it is cheaper than sorting.
    if (!ascii.every((d, i) => i === 0 || ascii[i - 1]! <= d)) ascii.sort();
    let n = 0;
    for (let i = 0; i < ascii.length; i++) if (i === 0 || ascii[i] !== ascii[i - 1]) ascii[n++] = ascii[i]!;
    ascii.length = n;
    this.starts = new Uint32Array(n + 1);
    let at = 0;
    for (let i = 0; i < n; i++) {
      this.starts[i] = at;
      at += ascii[i]!.length + 1;
    }
    this.starts[n] = at;
    this.text = n ? `${ascii.join('\n')}\n` : '';
    this.size = n + this.other.size;
  }

  has(domain: string): boolean {
    if (!ASCII.test(domain) || domain.includes('\n')) return this.other.has(domain);
    let lo = 0;
    let hi = this.starts.length - 2;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareAt(domain, mid);
      if (c === 0) return true;
      if (c < 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return false;
  }

  /** The sign of domain minus entry i, in the order of Array.prototype.sort. */
  private compareAt(domain: string, i: number): number {
    const start = this.starts[i]!;
    const len = this.starts[i + 1]! - 1 - start;
    const common = Math.min(len, domain.length);
    for (let k = 0; k < common; k++) {
      const diff = domain.charCodeAt(k) - this.text.charCodeAt(start + k);
      if (diff !== 0) return diff;
    }
    return domain.length - len;
  }
}

/**
 * The spellings to look up for each entry of a published list: lower case without a trailing dot,
 * and for an internationalised domain both its Unicode and its punycode spelling (the lists mix
 * the two), so that either form of an alias matches.
 */
export function domainSpellings(entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    // Nearly every entry is already lower-case ASCII without a trailing dot or space.
    if (PLAIN.test(entry) && !entry.includes('xn--')) {
      out.push(entry);
      continue;
    }
    const d = entry.trim().toLowerCase().replace(/\.$/, '');
    if (!d) continue;
    out.push(d);
    if (ASCII.test(d) && !d.includes('xn--')) continue;
    const ascii = domainToASCII(d);
    if (ascii) {
      out.push(ascii);
      const unicode = domainToUnicode(ascii);
      if (unicode) out.push(unicode);
    }
  }
  return out;
}

function shapeError(moduleId: string, why: string): Error {
  return new Error(
    `The domain list ${moduleId} is not a non-empty array of strings (${why}); check the installed package version.`,
  );
}

/** The parsed entries of a list file's text, or the error that names the list. */
export function parseDomainList(moduleId: string, text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw shapeError(moduleId, `not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw shapeError(moduleId, 'not a non-empty array');
  if (!parsed.every((d) => typeof d === 'string')) throw shapeError(moduleId, 'an entry is not a string');
  return parsed as string[];
}

function resolveList(moduleId: string): string {
  try {
    return require.resolve(moduleId);
  } catch (err) {
    throw shapeError(moduleId, `not found: ${(err as Error).message.split('\n')[0]}`);
  }
}

function loadDomainList(moduleId: string): DomainList {
  const text = fs.readFileSync(resolveList(moduleId), 'utf8');
  return new DomainList(domainSpellings(parseDomainList(moduleId, text)));
}

/**
 * Without parsing: the text of a list file looks like a non-empty JSON array of strings, its first
 * entry and its last a string. Throws the error that names the list.
 */
export function checkListShape(moduleId: string, head: string, tail: string): void {
  if (!/^\s*\[\s*"/.test(head)) throw shapeError(moduleId, `it begins ${JSON.stringify(head.slice(0, 20))}`);
  if (!/"\s*\]\s*$/.test(tail)) throw shapeError(moduleId, `it ends ${JSON.stringify(tail.slice(-20))}`);
}

const LISTS = {
  freemail: 'email-providers/all.json',
  disposable: 'disposable-email-domains/index.json',
  disposableWildcard: 'disposable-email-domains/wildcard.json',
} as const;

/**
 * The daemon's check at start, about a millisecond: each list file is installed and begins and
 * ends like a JSON array of strings. A package that is missing or changed its shape stops the
 * daemon here, loudly, rather than at the first join request.
 */
export function checkAliasLists(): void {
  for (const moduleId of Object.values(LISTS)) {
    const file = resolveList(moduleId);
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const read = (position: number, length: number): string => {
        const buf = Buffer.alloc(length);
        return buf.toString('utf8', 0, fs.readSync(fd, buf, 0, length, position));
      };
      const n = Math.min(size, 64);
      checkListShape(moduleId, read(0, n), read(size - n, n));
    } finally {
      fs.closeSync(fd);
    }
  }
}

export interface DomainLists {
  freemail: DomainSet;
  disposable: DomainSet;
  /** Domains any of whose subdomains is disposable. */
  disposableWildcard: DomainSet;
}

let domainLists: DomainLists | null = null;

/** The lists, loaded on first use (a few hundred milliseconds, once). */
export function aliasLists(): DomainLists {
  domainLists ??= {
    freemail: loadDomainList(LISTS.freemail),
    disposable: loadDomainList(LISTS.disposable),
    disposableWildcard: loadDomainList(LISTS.disposableWildcard),
  };
  return domainLists;
}
