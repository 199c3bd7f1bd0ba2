import type { InboundMessage } from '../message/parse';
import type { AttachedKey } from '../openpgp/attached-key';
import type { AuthVerdict } from '../policy/sender-auth';
import type { DisclosureRow } from '../store/disclosures';
import type { TokenRow } from '../store/tokens';

/** A token of ours found in a message, and what the database knows of it (undefined: unknown). */
export interface TokenSighting {
  token: string;
  row: TokenRow | undefined;
}

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
  /** Our tokens found in In-Reply-To, References and Subject, distinct; and in the text, those of message/tokens TEXT_PURPOSES. */
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
  /** policy.maxMessageBytes: a larger message is held unread. */
  maxMessageBytes: number;
  /** policy.maxMimeParts: a message with more parts is held unread. */
  maxMimeParts: number;
  /** Why an OpenPGP-encrypted message could not be decrypted (openpgp/inbound); absent or null when it was, or was clear. */
  unreadable?: { code: string; detail: string } | null;
  /** The OpenPGP public key the mail carries, read before the transaction (openpgp/attached-key); null: none. */
  attachedKey: AttachedKey | null;
}

/**
 * Every rule's name: the chains name rules by these, so a misspelt name does not compile. One
 * rule per name in RULES (rules/index.ts), which a test checks.
 */
export const RULE_NAMES = [
  'encrypted-unreadable',
  'too-large',
  'too-many-parts',
  'loop',
  'bounce',
  'auto-reply',
  'duplicate',
  'header-anomaly',
  'to-list',
  'to-requests',
  'implicit-destination',
  'from-member',
  'from-non-member',
  'from-moderator',
  'from-stranger',
  'unauthenticated',
  'in-thread',
  'new-thread',
  'names-thread',
  'leak',
  'ack-keyword',
  'members-may-not-open',
  'reply-to-moderation',
  'reply-to-question',
  'reply-to-confirmation',
  'reply-to-key-confirmation',
  'carries-key',
  'unknown-token',
  'reply-to-our-mail',
  'moderator-keyword',
  'unsubscribe-keyword',
  'remove-keyword',
  'help-request',
  'alternatives-disagree',
] as const;

export type RuleName = (typeof RULE_NAMES)[number];

/**
 * What a hit is good for beyond the chains:
 * - reason: it says why a message was held; a held message's mail lists it to the moderators;
 * - fact: it says what a message is (its destination, its sender, its thread), not why it was
 *   held; the chains route on it, the moderators' mail does not list it;
 * - audit: no chain row names it; it is kept on the inbound row for the audit and `explain` only.
 */
export type RuleUse = 'reason' | 'fact' | 'audit';

export interface Hit {
  rule: RuleName;
  reason: string;
}

/** One pure check: a name, what it looks for, and a check that returns a reason when it hits. */
export interface Rule {
  name: RuleName;
  description: string;
  use: RuleUse;
  check(msg: InboundMessage, snap: Snapshot): string | null;
}
