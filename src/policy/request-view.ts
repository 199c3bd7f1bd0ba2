/** How a join request is shown to people: the moderators' mail, the CLI, `explain`. Pure. */
import type { PolicyConfig } from '../config';
import type { RequestRow } from '../store/requests';
import type { AliasFinding } from './corporate-alias';
import type { OrganizationFinding } from './organization-match';

export interface CriterionView {
  n: number;
  text: string;
  answer: string;
  answered: boolean;
}

export type RequestFinding = AliasFinding | OrganizationFinding;

/** Another request of the same mailbox that is before the moderators at the same time. */
export interface OtherRequestView {
  id: number;
  applicant: string;
  /** "older" or "newer" than the request shown. */
  age: 'older' | 'newer';
  authenticated: boolean;
  /** The very same address (replaceable by confirmation); false for a "+tag" variant of it. */
  sameAddress: boolean;
  alias: string;
  createdAt: string;
}

export interface RequestView {
  id: number;
  state: string;
  organization: string;
  alias: string;
  applicant: string;
  criteria: CriterionView[];
  missing: CriterionView[];
  acceptsEmbargo: boolean;
  findings: RequestFinding[];
  blocking: RequestFinding[];
  warnings: RequestFinding[];
  createdAt: string;
  /** Whether the sender was authenticated when the request arrived, and how that was judged. */
  authenticated: boolean;
  authEvidence: string;
  /** Other requests of the same mailbox before the moderators, oldest first. */
  others: OtherRequestView[];
}

/** `others`: the other pending requests of the same mailbox (store/requests pendingOfMailbox). */
export function viewRequest(row: RequestRow, policy: PolicyConfig, others: readonly RequestRow[] = []): RequestView {
  const answers = JSON.parse(row.answers) as Record<string, string>;
  const missing = new Set(JSON.parse(row.missing) as number[]);
  const findings = JSON.parse(row.findings) as RequestFinding[];
  const criteria = policy.criteria.map((text, i) => {
    const n = i + 1;
    const answer = answers[String(n)] ?? '';
    return { n, text, answer: answer === '' ? '(no answer)' : answer, answered: !missing.has(n) && answer !== '' };
  });
  return {
    id: row.id,
    state: row.state,
    organization: row.organization ?? '(unknown organization)',
    alias: row.alias ?? '(no alias found)',
    applicant: row.applicant_name ? `${row.applicant_name} <${row.applicant}>` : row.applicant,
    criteria,
    missing: criteria.filter((c) => !c.answered),
    acceptsEmbargo: row.accepts_embargo === 1,
    findings,
    blocking: findings.filter((f) => f.severity === 'block'),
    warnings: findings.filter((f) => f.severity === 'warn'),
    createdAt: row.created_at,
    authenticated: row.authenticated === 1,
    authEvidence:
      row.auth_evidence ??
      (row.authenticated === 1 ? 'authenticated' : 'not checked (received before sender authentication was recorded)'),
    others: others
      .filter((o) => o.id !== row.id)
      .map((o) => ({
        id: o.id,
        applicant: o.applicant,
        age: o.id < row.id ? ('older' as const) : ('newer' as const),
        authenticated: o.authenticated === 1,
        sameAddress: o.applicant.toLowerCase() === row.applicant.toLowerCase(),
        alias: o.alias ?? '(no alias found)',
        createdAt: o.created_at,
      })),
  };
}

/** Quoted for a mail body: each line of a free text indented, so it reads as the applicant's. */
export function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');
}
