import type { InboundMessage } from '../message/parse';
import type { AuthVerdict } from '../policy/sender-auth';
import type { DisclosureRow } from '../store/disclosures';
import type { TokenRow } from '../store/tokens';

/** A token of ours found in a message, and what the database knows of it (undefined: unknown). */
export interface TokenSighting { token: string; row: TokenRow | undefined }

/** What the rules may know of the state: read before classifying, never written by a rule. */
export interface Snapshot {
  listAddress: string;
  requestsAddress: string;
  bounceAddress: string;
  now: Date;
  /** Is the From address an active member? */
  senderIsMember: boolean;
  /** Is the From address a configured moderator? */
  senderIsModerator: boolean;
  /** Has a message with this Message-ID already been relayed? */
  alreadyRelayed: boolean;
  /** Our tokens found in In-Reply-To, References and Subject, distinct. */
  tokens: TokenSighting[];
  /** The keyword on the first line the sender wrote, if any. */
  keyword: { keyword: string; argument: string | null } | null;
  /** Why the text/plain and HTML alternatives name different keywords (then `keyword` is null), or null. */
  keywordDisagreement: string | null;
  /** Sender authentication, when it was checked (moderators' mail, posts to the list, would-be join requests). */
  auth: AuthVerdict | null;
  /** security.requireAuthenticatedPosts. */
  requireAuthenticatedPosts: boolean;
  /** The disclosure thread the message replies to (In-Reply-To, References, or [#N] in the subject). */
  thread: DisclosureRow | null;
  /** A disclosure the message names by number without replying in its thread. */
  namedThread: DisclosureRow | null;
  /** Subject or first line starts with LEAK. */
  isLeak: boolean;
  /** policy.membersMayOpenThreads. */
  membersMayOpenThreads: boolean;
  /** Whether a relayed copy gets the list's From (relay.fromRewrite, and for "dmarc" the author's policy). */
  rewriteFrom: boolean;
}

export interface Hit { rule: string; reason: string }

/** One pure check: a name, what it looks for, and a check that returns a reason when it hits. */
export interface Rule {
  name: string;
  description: string;
  check(msg: InboundMessage, snap: Snapshot): string | null;
}
