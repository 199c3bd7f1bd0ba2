/**
 * decide: the list's policy at a glance, as Mailman's chains: a top part every message passes
 * (our own mail, robots, over the limits, malformed headers), then the sub-chain of the address
 * it was sent to (the list, or the requests address), then what names neither. Within a part the
 * first row whose rules all hit, and none of its `unless`, gives the outcome; a message that
 * enters a sub-chain and matches none of its rows, or that no row matches at all, is held for a
 * moderator (fail closed). The decision carries the evidence its action needs (the thread, the
 * hold reasons), taken from the snapshot the rules read, so no action assumes which row matched.
 */
import { RULE_USE } from '../rules';
import type { Hit, RuleName, Snapshot } from '../rules/types';
import type { DisclosureRow } from '../store/disclosures';

export type Outcome =
  | 'relay'
  | 'discard'
  | 'hold'
  | 'join-request'
  | 'moderator-command'
  | 'applicant-reply'
  | 'confirmation'
  | 'member-key'
  | 'key-confirmation'
  | 'unsubscribe'
  | 'refuse'
  | 'help'
  | 'open-disclosure'
  | 'thread-post'
  | 'ack'
  | 'leak-report'
  | 'bounce';

export interface ChainRow {
  /** Every one of these rules must have hit. */
  when: readonly RuleName[];
  /** None of these may have hit: the row stands on its own, whatever rows come before it. */
  unless?: readonly RuleName[];
  outcome: Outcome;
  /** The short word the log and the moderators see. */
  label: string;
}

export interface SubChain {
  name: 'top' | 'list' | 'requests' | 'neither';
  /** The rule whose hit sends a message into this part, never to leave it; null: every message passes through. */
  entry: RuleName | null;
  rows: readonly ChainRow[];
}

/** Nothing reaches the members from a stranger, nor from anyone unauthenticated: every row that acts on a post says so itself. */
const TRUSTED = { unless: ['from-stranger', 'unauthenticated'] } as const;

export const INBOUND_CHAINS: readonly SubChain[] = [
  {
    name: 'top',
    entry: null,
    rows: [
      // Encrypted, and the list cannot read it (openpgp/inbound): held with the reason, never relayed.
      { when: ['encrypted-unreadable'], outcome: 'hold', label: 'encrypted-unreadable' },
      // Over the size limits: held unread (only the header was read, message/header-only).
      { when: ['too-large'], outcome: 'hold', label: 'too-large' },
      { when: ['too-many-parts'], outcome: 'hold', label: 'too-many-parts' },
      // Our own mail coming back, bounces and robots: never relayed, never answered.
      { when: ['loop'], outcome: 'discard', label: 'loop' },
      { when: ['bounce'], outcome: 'bounce', label: 'bounce' },
      { when: ['auto-reply'], outcome: 'discard', label: 'auto-reply' },
      // The same post a second time: the members already have it.
      { when: ['duplicate'], outcome: 'discard', label: 'duplicate' },
      // Header lines that readers split differently: what one sees as Cc another does not. Never acted on.
      { when: ['header-anomaly'], outcome: 'hold', label: 'malformed-header' },
    ],
  },
  {
    // The list address. Strangers never reach the members, nor does anyone unauthenticated.
    name: 'list',
    entry: 'to-list',
    rows: [
      { when: ['from-stranger', 'leak'], outcome: 'hold', label: 'leak-from-non-member' },
      { when: ['from-stranger'], outcome: 'hold', label: 'non-member' },
      { when: ['unauthenticated'], outcome: 'hold', label: 'unauthenticated' },
      // A member reporting a leak: in the thread, or naming its number from a new mail.
      { when: ['from-member', 'leak', 'in-thread'], ...TRUSTED, outcome: 'leak-report', label: 'leak' },
      { when: ['from-member', 'leak', 'names-thread'], ...TRUSTED, outcome: 'leak-report', label: 'leak-by-number' },
      // A moderator's new post opens a disclosure, whatever its subject says.
      { when: ['from-moderator', 'new-thread'], ...TRUSTED, outcome: 'open-disclosure', label: 'new-disclosure' },
      { when: ['from-member', 'leak'], outcome: 'hold', label: 'leak-without-thread' },
      // Plain and HTML versions that name different keywords: neither is acted on, a moderator looks.
      { when: ['in-thread', 'alternatives-disagree'], outcome: 'hold', label: 'alternatives-disagree' },
      // Receipts are recorded, not relayed.
      { when: ['in-thread', 'ack-keyword', 'from-member'], ...TRUSTED, outcome: 'ack', label: 'ack' },
      // A reply in a thread from a member or a moderator (not a stranger), authenticated.
      { when: ['in-thread'], ...TRUSTED, outcome: 'thread-post', label: 'thread-reply' },
      // A member's new post waits for a moderator, unless members may open threads.
      { when: ['from-member', 'members-may-not-open'], outcome: 'hold', label: 'member-new-thread' },
      { when: ['from-member'], ...TRUSTED, outcome: 'relay', label: 'member-post' },
    ],
  },
  {
    // The requests address: replies to our own mails first, matched by token only. The actions
    // judge the keyword's three conditions (moderator, live token, authenticated) themselves.
    name: 'requests',
    entry: 'to-requests',
    rows: [
      { when: ['unknown-token'], outcome: 'refuse', label: 'unknown-token' },
      // Plain and HTML versions that name different keywords: no command is acted on, the moderators are told why.
      { when: ['alternatives-disagree'], outcome: 'refuse', label: 'alternatives-disagree' },
      { when: ['reply-to-moderation'], outcome: 'moderator-command', label: 'moderator-reply' },
      { when: ['reply-to-question'], outcome: 'applicant-reply', label: 'applicant-answer' },
      { when: ['reply-to-confirmation'], outcome: 'confirmation', label: 'confirmation' },
      // A member confirming its new OpenPGP key from the mail only that key could decrypt.
      { when: ['reply-to-key-confirmation'], outcome: 'key-confirmation', label: 'key-confirmation' },
      // A moderator's keyword with no token of ours: nothing to act on, and worth a look.
      { when: ['moderator-keyword', 'from-moderator'], outcome: 'refuse', label: 'keyword-without-token' },
      { when: ['remove-keyword', 'from-moderator'], outcome: 'moderator-command', label: 'remove' },
      { when: ['remove-keyword'], outcome: 'refuse', label: 'remove-not-moderator' },
      { when: ['unsubscribe-keyword'], outcome: 'unsubscribe', label: 'unsubscribe' },
      { when: ['help-request'], outcome: 'help', label: 'help' },
      // A member sending its OpenPGP key (also in answer to a notice of ours, such as the key-required one).
      { when: ['carries-key', 'from-member'], outcome: 'member-key', label: 'member-key' },
      // An answer to an acknowledgement or notice of ours is not a new request: a moderator looks.
      { when: ['reply-to-our-mail'], outcome: 'hold', label: 'reply-to-our-mail' },
      // Anything else to the requests address asks to join.
      { when: [], outcome: 'join-request', label: 'join-request' },
    ],
  },
  {
    // Neither address named: Bcc'd or delivered by some alias, as spam and misdirected mail are.
    name: 'neither',
    entry: null,
    rows: [{ when: ['implicit-destination'], outcome: 'hold', label: 'implicit-destination' }],
  },
];

/** Every row with the rule that leads into its part in front: the table as one list, as the docs show it. */
export const INBOUND_CHAIN: readonly ChainRow[] = INBOUND_CHAINS.flatMap((part) =>
  part.rows.map((row) => (part.entry ? { ...row, when: [part.entry, ...row.when] } : row)),
);

interface Verdict {
  label: string;
  hits: Hit[];
}

type ThreadOutcome = 'thread-post' | 'ack' | 'leak-report';
type PlainOutcome = Exclude<Outcome, 'hold' | ThreadOutcome | 'moderator-command'>;

/** What decide gives: the outcome, the label, every hit, and what the outcome's action acts on. One member per outcome. */
export type Decision =
  /** Held for a moderator, with the reasons the moderators' mail lists. */
  | (Verdict & { outcome: 'hold'; reasons: string[] })
  /** A post into, an ACK in, or a leak report about this disclosure thread. */
  | { [O in ThreadOutcome]: Verdict & { outcome: O; thread: DisclosureRow } }[ThreadOutcome]
  /** A keyword in reply to a moderators' mail (its token decides), or a REMOVE, which carries none. */
  | (Verdict & { outcome: 'moderator-command'; command: 'token-reply' | 'remove' })
  | { [O in PlainOutcome]: Verdict & { outcome: O } }[PlainOutcome];

export function matches(row: ChainRow, names: ReadonlySet<RuleName>): boolean {
  return row.when.every((w) => names.has(w)) && !(row.unless ?? []).some((u) => names.has(u));
}

/** The row that decides, or null (fail closed): a message that enters a sub-chain stays in it. */
export function findRow(hits: readonly Hit[], chains: readonly SubChain[] = INBOUND_CHAINS): ChainRow | null {
  const names = new Set(hits.map((h) => h.rule));
  for (const part of chains) {
    if (part.entry !== null && !names.has(part.entry)) continue;
    const row = part.rows.find((r) => matches(r, names));
    if (row || part.entry !== null) return row ?? null;
  }
  return null;
}

/** Hold reasons: the hits of every rule that says why (not the facts, not the audit-only ones). */
export function holdReasons(hits: readonly Hit[], label: string): string[] {
  const reasons = hits
    .filter((h) => !['fact', 'audit'].includes(RULE_USE.get(h.rule) ?? 'reason'))
    .map((h) => h.reason);
  return reasons.length > 0 ? reasons : [label];
}

function hold(label: string, hits: Hit[]): Decision {
  return { outcome: 'hold', label, hits, reasons: holdReasons(hits, label) };
}

export function decide(
  hits: Hit[],
  snap: Pick<Snapshot, 'thread' | 'namedThread'>,
  chains: readonly SubChain[] = INBOUND_CHAINS,
): Decision {
  const row = findRow(hits, chains);
  if (!row) return hold('no-rule-matched', hits);
  const { outcome, label } = row;
  switch (outcome) {
    case 'hold':
      return hold(label, hits);
    case 'thread-post':
    case 'ack':
    case 'leak-report': {
      const thread = outcome === 'leak-report' ? (snap.thread ?? snap.namedThread) : snap.thread;
      // The rules read the same snapshot, so this cannot happen; if it does, nothing acts on a guess.
      if (!thread) return hold('no-thread', [...hits]);
      return { outcome, label, hits, thread };
    }
    case 'moderator-command':
      return { outcome, label, hits, command: row.when.includes('remove-keyword') ? 'remove' : 'token-reply' };
    default:
      return { outcome, label, hits };
  }
}
