/**
 * Does an applicant claim an organization a member already has? Names are compared by a key that
 * ignores case, spaces, punctuation, accents, Unicode width, look-alike letters (Cyrillic "а" for
 * "a", "0" for "O": Unicode's confusables, via unhomoglyph) and a trailing legal form, so
 * "Acme, Inc.", "ACME Inc", "acme-inc" and "Аcme" are one name. Pure.
 */
import unhomoglyph from 'unhomoglyph';

export interface OrganizationFinding {
  code: 'ORGANIZATION_OF_MEMBER';
  severity: 'warn';
  message: string;
}

export interface MemberOrganization {
  address: string;
  organization: string;
}

/** Legal forms that say nothing about who an organization is; dropped from the end of a name. */
const LEGAL_FORMS = new Set([
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'llc',
  'ltd',
  'limited',
  'plc',
  'lp',
  'llp',
  'gmbh',
  'ag',
  'kg',
  'se',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'bv',
  'nv',
  'oy',
  'oyj',
  'ab',
  'asa',
  'kk',
  'pty',
  'pvt',
]);

function words(name: string): string[] {
  const out = name
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
  if (out[0] === 'the' && out.length > 1) out.shift();
  return out;
}

function skeleton(ws: readonly string[]): string {
  // Upper case first: the confusables table maps capitals to Latin ones (Cyrillic "В" to "B"),
  // while some small letters go to small capitals ("в" to "ʙ") that no Latin name holds.
  const key = unhomoglyph(ws.join('').toUpperCase()).toLowerCase();
  // A name of one or two characters ("A", "X Inc") would match far too much to mean anything.
  return key.length >= 3 ? key : '';
}

/** The comparison key of an organization name, trailing legal forms left out; '' when nothing distinctive is left. */
export function organizationKey(name: string): string {
  const ws = words(name);
  while (ws.length > 0 && LEGAL_FORMS.has(ws[ws.length - 1]!)) ws.pop();
  return skeleton(ws);
}

/** Both keys of a name: without and with its legal form ("Seven-Corp" is "seven" and "sevencorp", so "SevenCorp" meets it). */
function organizationKeys(name: string): Set<string> {
  const stripped = organizationKey(name);
  if (stripped === '') return new Set();
  return new Set([stripped, skeleton(words(name))]);
}

/** The members whose organization shares a key with `organization`, by address. */
export function membersWithOrganization(
  organization: string | null,
  members: readonly MemberOrganization[],
): MemberOrganization[] {
  const keys = organizationKeys(organization ?? '');
  if (keys.size === 0) return [];
  return members
    .filter((m) => [...organizationKeys(m.organization)].some((k) => keys.has(k)))
    .sort((a, b) => a.address.localeCompare(b.address));
}

/** A warning for the moderators only: it names members, which an applicant is never told. */
export function organizationFindings(
  organization: string | null,
  members: readonly MemberOrganization[],
): OrganizationFinding[] {
  const same = membersWithOrganization(organization, members);
  if (same.length === 0) return [];
  const who = same.map((m) => `${m.address} ("${m.organization}")`).join(', ');
  return [
    {
      code: 'ORGANIZATION_OF_MEMBER',
      severity: 'warn',
      message: `The organization "${organization}" is already a member's: ${who}. A moderator should check that the applicant speaks for that organization and is not borrowing its name.`,
    },
  ];
}
