/**
 * Pieces of a rules snapshot (see snapshotWith in context.ts) for the rule tests: a token the
 * message carries and what the database knows of it, and a disclosure thread. The types are taken
 * from the Snapshot itself, so these keep compiling when the rule types are renamed.
 */
import type { snapshotWith } from './context';

type Snap = ReturnType<typeof snapshotWith>;
export type TokenSeen = Snap['tokens'][number];
export type ThreadRow = NonNullable<Snap['thread']>;
type Purpose = NonNullable<TokenSeen['row']>['purpose'];

/** A 26-character token in our format; `seed` makes it distinct. */
export function tokenText(seed: string): string {
  return seed
    .toLowerCase()
    .replace(/[^a-z2-7]/g, 'a')
    .padEnd(26, 'q')
    .slice(0, 26);
}

/** A token we issued for `purpose`, unused and unexpired (2026-11-26 is the snapshot's clock). */
export function issuedToken(purpose: Purpose, seed: string = purpose): TokenSeen {
  const token = tokenText(seed);
  return {
    token,
    row: {
      token,
      purpose,
      request_id: 1,
      subject: null,
      detail: null,
      created_at: '2026-11-25T12:00:00.000Z',
      expires_at: '2026-11-28T12:00:00.000Z',
      used_at: null,
      used_by: null,
      retired_at: null,
    },
  };
}

/** Something in our token format that the database does not know. */
export function unknownToken(seed: string): TokenSeen {
  return { token: tokenText(seed), row: undefined };
}

/** An embargoed disclosure thread. */
export function disclosureThread(id: number, subject = `Disclosure ${id}`): ThreadRow {
  return {
    id,
    subject,
    opening_message_id: `<disclosure-${id}@lists.example.org>`,
    opened_by: 'moderator@example.org',
    opened_at: '2026-11-20T12:00:00.000Z',
    embargo_end: '2026-12-01T12:00:00.000Z',
    upstream: 0,
    state: 'embargoed',
    lift_reminder_at: null,
    ack_reminder_at: null,
    lifted_at: null,
    lifted_by: null,
    inbound_id: null,
  };
}

export type AuthSeen = NonNullable<Snap['auth']>;

/** A sender-authentication verdict: an aligned DKIM pass, or a failure that `decidedBy` explains. */
export function authVerdict(
  authenticated: boolean,
  decidedBy = authenticated ? 'Authentication-Results #1: dkim=pass, aligned' : 'no trusted Authentication-Results',
): AuthSeen {
  return {
    authenticated,
    method: authenticated ? 'authentication-results' : null,
    fromDomain: 'member.example',
    evidence: [decidedBy],
    decidedBy,
    failed: false,
  };
}
