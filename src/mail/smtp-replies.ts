/**
 * How a failed send is judged: data, not scattered ifs. The first row that matches wins.
 * temporary: try again later with backoff; permanent: give up on that recipient now.
 * scope: whether the failure is this copy's (its recipient, its message) or the relay's as a whole
 * (421, a connection that failed or timed out, our own login): a relay in trouble pauses all
 * sending and is probed with one copy (runners/deliver.ts), instead of each copy being retried.
 */
export type Verdict = 'temporary' | 'permanent';
export type Scope = 'copy' | 'relay';

export interface SendFailure {
  /** SMTP reply code, when the server answered. */
  responseCode?: number;
  /** nodemailer's or the socket's error code: ECONNECTION, ETIMEDOUT, EENVELOPE, ... */
  code?: string;
  /** The SMTP command that failed (nodemailer's `command`): CONN for the greeting, EHLO, MAIL FROM, ... */
  command?: string;
  message: string;
}

interface ReplyRule {
  why: string;
  match: (f: SendFailure) => boolean;
  verdict: Verdict;
  scope: Scope;
}

export const REPLY_RULES: readonly ReplyRule[] = [
  // Our own login failing is a configuration problem, not the recipient's: keep the copy and retry.
  {
    why: 'authentication to our SMTP relay failed',
    match: (f) => f.code === 'EAUTH' || [454, 530, 534, 535].includes(f.responseCode ?? 0),
    verdict: 'temporary',
    scope: 'relay',
  },
  // Refused at the greeting or at EHLO (even with a 5xx): the relay refuses us, not this recipient.
  {
    why: 'the relay refused the connection',
    match: (f) => ['CONN', 'EHLO', 'HELO', 'LHLO'].includes(f.command ?? ''),
    verdict: 'temporary',
    scope: 'relay',
  },
  {
    why: '421: the relay closes the channel (busy or shutting down)',
    match: (f) => f.responseCode === 421,
    verdict: 'temporary',
    scope: 'relay',
  },
  {
    why: '4xx: the server asks us to try again',
    match: (f) => inRange(f.responseCode, 400, 499),
    verdict: 'temporary',
    scope: 'copy',
  },
  {
    why: '5xx: the server refuses this recipient or message',
    match: (f) => inRange(f.responseCode, 500, 599),
    verdict: 'permanent',
    scope: 'copy',
  },
  // No reply code: the connection failed, timed out or was cut. The server never said no.
  {
    why: 'connection error without a reply',
    match: (f) => f.responseCode === undefined,
    verdict: 'temporary',
    scope: 'relay',
  },
];

export function judge(f: SendFailure): { verdict: Verdict; why: string; scope: Scope } {
  const rule = REPLY_RULES.find((r) => r.match(f));
  // A reply code outside 4xx/5xx on failure is unexpected: retry rather than lose the copy.
  return rule
    ? { verdict: rule.verdict, why: rule.why, scope: rule.scope }
    : { verdict: 'temporary', why: 'unexpected reply', scope: 'copy' };
}

function inRange(code: number | undefined, lo: number, hi: number): boolean {
  return code !== undefined && code >= lo && code <= hi;
}
