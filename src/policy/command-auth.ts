/**
 * The three conditions under which a keyword is acted on, judged without side effects:
 * the sender is a configured moderator; the reply carries a live token of ours for what it
 * answers; the sender is authenticated (a DKIM signature aligned with the From domain passed, and no trusted result failed). `explain` prints this.
 */
import type { InboundMessage } from '../message/parse';
import { requestNumberInSubject, type TokenPurpose } from '../message/tokens';
import type { Snapshot } from '../rules/types';
import type { TokenRow } from '../store/tokens';

/** Tokens that serve more than one keyword: a thread's, for every EMBARGO until the LIFT. */
export const REUSABLE: ReadonlySet<TokenPurpose> = new Set(['thread']);

export type TokenState = 'valid' | 'missing' | 'unknown' | 'conflict' | 'wrong-request' | 'expired' | 'used';

/** Whether a token was found says which one: a check that names a state with a token carries its row. */
export type TokenCheck =
  | { state: 'missing' | 'unknown' | 'conflict'; detail: string; row?: undefined }
  | { state: 'valid' | 'wrong-request' | 'expired' | 'used'; detail: string; row: TokenRow };

export interface CommandAuth {
  moderator: boolean;
  token: TokenCheck;
  authenticated: boolean;
  /** What settled the authentication, in one sentence. */
  decidedBy: string;
  evidence: string[];
  /** All three hold. */
  ok: boolean;
}

/** Which of our tokens a reply carries for these purposes, and whether it may be used now. */
export function checkToken(msg: Pick<InboundMessage, 'subject'>, snap: Snapshot, purposes: TokenPurpose[]): TokenCheck {
  if (snap.tokens.some((t) => !t.row))
    return { state: 'unknown', detail: 'the reply carries a token that was never issued' };
  const rows = snap.tokens.flatMap((t) => (t.row && purposes.includes(t.row.purpose) ? [t.row] : []));
  const [first] = rows;
  if (!first) return { state: 'missing', detail: `the reply carries no ${purposes.join(' or ')} token of ours` };
  const targets = new Set(rows.map((r) => `${r.purpose}:${r.request_id ?? r.subject}`));
  if (targets.size > 1) return { state: 'conflict', detail: 'the reply carries tokens of different requests' };
  // Prefer a live token when the thread holds several of the same request (a reminder's, say).
  const now = snap.now.toISOString();
  const row = rows.find((r) => !r.used_at && r.expires_at > now) ?? first;
  const named = requestNumberInSubject(msg.subject);
  if (named !== null && row.request_id !== null && named !== row.request_id) {
    return {
      state: 'wrong-request',
      detail: `the subject names request #${named} but the token belongs to request #${row.request_id}`,
      row,
    };
  }
  if (row.used_at && !REUSABLE.has(row.purpose))
    return { state: 'used', detail: `the token was used at ${row.used_at} by ${row.used_by}`, row };
  if (row.expires_at <= now) return { state: 'expired', detail: `the token expired at ${row.expires_at}`, row };
  return {
    state: 'valid',
    detail: `token of ${row.request_id !== null ? `request #${row.request_id}` : row.subject} (${row.purpose})`,
    row,
  };
}

export function checkCommand(
  msg: Pick<InboundMessage, 'subject'>,
  snap: Snapshot,
  purposes: TokenPurpose[],
): CommandAuth {
  const token = checkToken(msg, snap, purposes);
  let authenticated = snap.auth?.authenticated === true;
  let decidedBy = snap.auth?.decidedBy ?? 'not checked: the sender is not a configured moderator';
  // An OpenPGP signature proves only what it covers: a captured signed APPROVE must not be
  // re-pointed at another request through the unsigned In-Reply-To or Subject.
  if (authenticated && snap.auth?.method === 'openpgp-signature' && token.row) {
    if (!(snap.auth.signedTokens ?? []).includes(token.row.token)) {
      authenticated = false;
      decidedBy = `${decidedBy}, but it does not cover tk-${token.row.token}, which is only in the unsigned header (In-Reply-To, References or Subject): quote the mail you answer, or sign with protected headers`;
    }
  }
  return {
    moderator: snap.senderIsModerator,
    token,
    authenticated,
    decidedBy,
    evidence: snap.auth?.evidence ?? ['not checked: the sender is not a configured moderator'],
    ok: snap.senderIsModerator && token.state === 'valid' && authenticated,
  };
}
