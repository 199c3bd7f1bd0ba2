/**
 * How a failed send is judged: data, not scattered ifs. The first row that matches wins.
 * temporary: try again later with backoff; permanent: give up on that recipient now.
 */
export type Verdict = 'temporary' | 'permanent';

export interface SendFailure {
  /** SMTP reply code, when the server answered. */
  responseCode?: number;
  /** nodemailer's or the socket's error code: ECONNECTION, ETIMEDOUT, EENVELOPE, ... */
  code?: string;
  message: string;
}

interface ReplyRule {
  why: string;
  match: (f: SendFailure) => boolean;
  verdict: Verdict;
}

export const REPLY_RULES: readonly ReplyRule[] = [
  // Our own login failing is a configuration problem, not the recipient's: keep the copy and retry.
  {
    why: 'authentication to our SMTP relay failed',
    match: (f) => f.code === 'EAUTH' || [454, 530, 534, 535].includes(f.responseCode ?? 0),
    verdict: 'temporary',
  },
  {
    why: '4xx: the server asks us to try again',
    match: (f) => inRange(f.responseCode, 400, 499),
    verdict: 'temporary',
  },
  {
    why: '5xx: the server refuses this recipient or message',
    match: (f) => inRange(f.responseCode, 500, 599),
    verdict: 'permanent',
  },
  // No reply code: the connection failed, timed out or was cut. The server never said no.
  { why: 'connection error without a reply', match: (f) => f.responseCode === undefined, verdict: 'temporary' },
];

export function judge(f: SendFailure): { verdict: Verdict; why: string } {
  const rule = REPLY_RULES.find((r) => r.match(f));
  // A reply code outside 4xx/5xx on failure is unexpected: retry rather than lose the copy.
  return rule ? { verdict: rule.verdict, why: rule.why } : { verdict: 'temporary', why: 'unexpected reply' };
}

function inRange(code: number | undefined, lo: number, hi: number): boolean {
  return code !== undefined && code >= lo && code <= hi;
}
