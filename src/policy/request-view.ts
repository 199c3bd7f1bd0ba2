/** How a join request is shown to people: the moderators' mail, the CLI, `explain`. Pure. */
import type { PolicyConfig } from '../config';
import type { RequestRow } from '../store/requests';
import type { AliasFinding } from './corporate-alias';

export interface CriterionView { n: number; text: string; answer: string; answered: boolean }

export interface RequestView {
  id: number;
  state: string;
  organization: string;
  alias: string;
  applicant: string;
  criteria: CriterionView[];
  missing: CriterionView[];
  acceptsEmbargo: boolean;
  findings: AliasFinding[];
  blocking: AliasFinding[];
  warnings: AliasFinding[];
  createdAt: string;
}

export function viewRequest(row: RequestRow, policy: PolicyConfig): RequestView {
  const answers = JSON.parse(row.answers) as Record<string, string>;
  const missing = new Set(JSON.parse(row.missing) as number[]);
  const findings = JSON.parse(row.findings) as AliasFinding[];
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
  };
}

/** Quoted for a mail body: each line of a free text indented, so it reads as the applicant's. */
export function indent(text: string, prefix = '    '): string {
  return text.split('\n').map((l) => `${prefix}${l}`).join('\n');
}
