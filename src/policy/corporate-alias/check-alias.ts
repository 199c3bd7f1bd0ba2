/** The findings about an applicant's proposed security alias, assembled in their documented order. */
import { getDomain } from 'tldts';
import { domainAndParents, domainSet, firstIn, mailbox, parseAddress, PSL_WITH_PRIVATE } from './address';
import { aliasLists } from './domain-lists';
import { lookalikeFindings } from './lookalike';
import { personalMatch } from './personal-name';
import { block, type AliasCheckInput, type AliasFinding, type AliasPolicy } from './types';

function organizationDomainList(policy: AliasPolicy, organization: string | null): string[] {
  const key = normalizeName(organization ?? '');
  if (!key) return [];
  const out: string[] = [];
  for (const [name, domains] of Object.entries(policy.organizationDomains)) {
    if (normalizeName(name) === key) out.push(...domains);
  }
  return out;
}

function normalizeName(s: string): string {
  return s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}
/** Text from a mail, safe and short enough to quote in one sentence. */
function quote(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
/**
 * Every finding about an applicant's proposed security alias; an empty array means none.
 * A missing or invalid alias is the only finding. Otherwise the findings come in this order:
 * DENIED, then DISPOSABLE or FREEMAIL (disposable wins when a domain is on both lists; neither is
 * looked for on an allowed domain), DOMAIN_MISMATCH (not reported when the domain was already
 * refused), IS_SENDER, LOOKALIKE_DOMAIN (a warning for a member's domain, blocking for others),
 * and last PERSONAL, a warning.
 */
export function checkAlias(input: AliasCheckInput, policy: AliasPolicy): AliasFinding[] {
  const raw = (input.alias ?? '').trim();
  if (!raw) {
    return [
      block(
        'ALIAS_MISSING',
        'The request names no security alias, so reply with the team address (such as security@your-company.example) that should receive early disclosures.',
      ),
    ];
  }
  const alias = parseAddress(raw);
  if (!alias) {
    return [
      block(
        'ALIAS_INVALID',
        `"${quote(raw)}" is not a single email address, so give the security alias as one address such as security@your-company.example.`,
      ),
    ];
  }

  const findings: AliasFinding[] = [];
  const address = alias.address;
  const aliasReg = getDomain(alias.domain, PSL_WITH_PRIVATE) ?? alias.domain;
  const candidates = domainAndParents(alias.domain);

  const denied = firstIn(candidates, domainSet(policy.denyDomains));
  if (denied) {
    findings.push(
      block(
        'ALIAS_DENIED',
        `The alias ${address} is at ${denied}, a domain this list does not accept, so use a security alias at a domain your organization owns.`,
      ),
    );
  }

  const allowed = !denied && firstIn(candidates, domainSet(policy.allowDomains)) !== undefined;
  if (!allowed) {
    const lists = aliasLists();
    const disposable = firstIn(candidates, lists.disposable, lists.disposableWildcard);
    const freemail = disposable ? undefined : firstIn(candidates, lists.freemail);
    if (disposable) {
      findings.push(
        block(
          'ALIAS_DISPOSABLE',
          `The alias ${address} is at ${disposable}, a disposable-mail service, so give a monitored security alias at your organization's own domain.`,
        ),
      );
    } else if (freemail) {
      findings.push(
        block(
          'ALIAS_FREEMAIL',
          `The alias ${address} is at ${freemail}, a free-mail provider anyone can sign up with, so give a security alias at a domain your organization owns.`,
        ),
      );
    }
  }

  // A domain already refused above cannot be fixed by recording it for the organization: say it once.
  const domainRefused = findings.length > 0;
  const sender = parseAddress(input.fromAddress);
  const senderReg = sender ? getDomain(sender.domain, PSL_WITH_PRIVATE) : null;
  const orgDomains = domainSet(organizationDomainList(policy, input.organization));
  if (!domainRefused && aliasReg !== senderReg && firstIn(candidates, orgDomains) === undefined) {
    const org = input.organization?.trim() ? quote(input.organization) : 'the organization';
    findings.push(
      block(
        'ALIAS_DOMAIN_MISMATCH',
        sender && senderReg
          ? `The alias ${address} is at ${aliasReg} but the request came from ${sender.address} at ${senderReg}, so send the request from ${aliasReg} or ask the moderators to record ${aliasReg} as a domain of ${org}.`
          : `The alias ${address} cannot be matched to the sender because "${quote(input.fromAddress)}" is not a usable address, so send the request from an address at ${aliasReg}.`,
      ),
    );
  }

  if (sender && sender.domain === alias.domain && mailbox(sender.local) === mailbox(alias.local)) {
    findings.push(
      block(
        'ALIAS_IS_SENDER',
        `The alias ${address} is the applicant's own address, and a personal mailbox is not a team alias, so give a shared address such as security@${aliasReg}.`,
      ),
    );
  }

  findings.push(...lookalikeFindings(alias, aliasReg, input, policy));

  const match = personalMatch(alias.local, input.fromName, alias, input.organization);
  if (match) {
    findings.push({
      code: 'ALIAS_PERSONAL',
      severity: 'warn',
      message: `The alias ${address} looks like the personal address of ${quote(input.fromName)} (it contains "${match}"), so a moderator should confirm it is a monitored team alias and not one person's mailbox.`,
    });
  }
  return findings;
}
