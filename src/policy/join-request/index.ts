/**
 * policy/join-request: reads a membership request written by a person into per-criterion answers.
 *
 * Pure: text in, a typed summary out; no I/O, no clock, no database. Everything here is heuristic.
 * Applicants quote the criteria ("> 1. ..."), number their answers ("1.", "1)", "(1)", "1 -"),
 * turn the criteria into Markdown headings or bold lines, answer on the criterion's own line,
 * reorder or skip criteria, and their mail clients add signatures and earlier mail. The parts:
 * segment.ts (the applicant's own lines and quoted criteria, through message/own-text.ts),
 * headings.ts and heading-choice.ts (which line introduces which criterion, by criteria-match.ts),
 * answers.ts, alias.ts, organization.ts, embargo-acceptance.ts. When unsure, an answer is left out
 * (so it shows in `missing`) and the embargo is not accepted: a moderator looks.
 *
 * Cost stays linear in the body: no regular expression is built from configured text, the
 * patterns used are anchored or bounded, and only the first MAX_MATCH_TOKENS words of a line are
 * compared with the criteria.
 */
import { findAlias } from './alias';
import { collectAnswers } from './answers';
import { acceptsClearly } from './embargo-acceptance';
import { findHeadings } from './heading-choice';
import { classifyLine } from './headings';
import { findOrganization } from './organization';
import { segmentBody } from './segment';
import { compileCriterion } from './words';

export interface JoinRequestInput {
  subject: string;
  text: string;
  fromAddress: string;
  fromName: string;
  criteria: string[];
  aliasCriterion: number;
  embargoCriterion: number;
}

export interface ParsedJoinRequest {
  organization: string | null;
  alias: string | null;
  answers: Record<string, string>;
  missing: number[];
  acceptsEmbargo: boolean;
}

/** The policy's five criteria, the default of policy.criteria (kept in one place). */
export { DEFAULT_CRITERIA } from '../criteria';

export function parseJoinRequest(input: JoinRequestInput): ParsedJoinRequest {
  const criteria = input.criteria.map(compileCriterion);
  const lines = segmentBody(input.text, (line) => classifyLine(line, criteria, true).heading?.strong === true);
  const headings = findHeadings(lines, criteria);
  const answers = collectAnswers(lines, headings, input.fromName);
  const missing = criteria.map((_, i) => i + 1).filter((n) => !Object.hasOwn(answers, String(n)));
  const own = lines.filter((l) => l.kind === 'text').map((l) => l.text);
  const alias = findAlias(answers[String(input.aliasCriterion)], own.join('\n'));
  const embargoAnswer = answers[String(input.embargoCriterion)];
  return {
    organization: findOrganization(input.subject, own, alias, input.fromAddress),
    alias,
    answers,
    missing,
    acceptsEmbargo: embargoAnswer !== undefined && acceptsClearly(embargoAnswer),
  };
}
