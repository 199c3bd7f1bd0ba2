/**
 * Join requests for the tests and the accuracy script. Fixtures are read with mailparser's own
 * text (HTML converted by html-to-text), as the fixtures' expectations were written for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import {
  DEFAULT_CRITERIA,
  parseJoinRequest,
  type JoinRequestInput,
  type ParsedJoinRequest,
} from '../../src/policy/join-request';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'join-requests');

/** The policy's defaults: the five criteria, the alias under the first, the embargo under the fifth. */
const DEFAULTS = { criteria: DEFAULT_CRITERIA, aliasCriterion: 1, embargoCriterion: 5 };

/** Parses a fixture with mailparser and reads it as a join request; `readText` may pre-read its text. */
export async function fromFixture(
  name: string,
  readText: (text: string) => string = (t) => t,
): Promise<ParsedJoinRequest> {
  const mail = await simpleParser(readFileSync(join(FIXTURES, name)));
  const from = mail.from?.value[0];
  return parseJoinRequest({
    subject: mail.subject ?? '',
    text: readText(mail.text ?? ''),
    fromAddress: (from?.address ?? '').toLowerCase(),
    fromName: from?.name ?? '',
    ...DEFAULTS,
  });
}

/** Reads a body written in the test, with the policy's defaults. */
export function parse(text: string, over: Partial<JoinRequestInput> = {}): ParsedJoinRequest {
  return parseJoinRequest({
    subject: 'Request to join',
    text,
    fromAddress: 'applicant@member.example',
    fromName: '',
    ...DEFAULTS,
    ...over,
  });
}

export const lines = (...l: string[]): string => l.join('\n');
