/**
 * The decision table as it stood before it was split into sub-chains by destination (issue 9),
 * one flat list of AND-rows, plus the two size rows that pipeline.ts then applied outside it. Kept
 * only so that a test can show the sub-chains decide every message as this table did.
 */
export const FLAT_TABLE_BEFORE_SUBCHAINS: readonly { when: readonly string[]; outcome: string; label: string }[] = [
  // Our own mail coming back, bounces and robots: never relayed, never answered.
  { when: ['too-large'], outcome: 'hold', label: 'too-large' },
  { when: ['too-many-parts'], outcome: 'hold', label: 'too-many-parts' },
  { when: ['loop'], outcome: 'discard', label: 'loop' },
  { when: ['bounce'], outcome: 'bounce', label: 'bounce' },
  { when: ['auto-reply'], outcome: 'discard', label: 'auto-reply' },
  // The same post a second time: the members already have it.
  { when: ['duplicate'], outcome: 'discard', label: 'duplicate' },
  // Header lines that readers split differently: what one sees as Cc another does not. Never acted on.
  { when: ['header-anomaly'], outcome: 'hold', label: 'malformed-header' },

  // The list address. Strangers never reach the members, nor does anyone unauthenticated.
  { when: ['to-list', 'from-stranger', 'leak'], outcome: 'hold', label: 'leak-from-non-member' },
  { when: ['to-list', 'from-stranger'], outcome: 'hold', label: 'non-member' },
  { when: ['to-list', 'unauthenticated'], outcome: 'hold', label: 'unauthenticated' },
  // A member reporting a leak: in the thread, or naming its number from a new mail.
  { when: ['to-list', 'from-member', 'leak', 'in-thread'], outcome: 'leak-report', label: 'leak' },
  { when: ['to-list', 'from-member', 'leak', 'names-thread'], outcome: 'leak-report', label: 'leak-by-number' },
  // A moderator's new post opens a disclosure, whatever its subject says.
  { when: ['to-list', 'from-moderator', 'new-thread'], outcome: 'open-disclosure', label: 'new-disclosure' },
  { when: ['to-list', 'from-member', 'leak'], outcome: 'hold', label: 'leak-without-thread' },
  // Receipts are recorded, not relayed.
  // Plain and HTML versions that name different keywords: neither is acted on, a moderator looks.
  { when: ['to-list', 'in-thread', 'alternatives-disagree'], outcome: 'hold', label: 'alternatives-disagree' },
  { when: ['to-list', 'in-thread', 'ack-keyword', 'from-member'], outcome: 'ack', label: 'ack' },
  { when: ['to-list', 'in-thread'], outcome: 'thread-post', label: 'thread-reply' },
  // A member's new post waits for a moderator, unless members may open threads.
  { when: ['to-list', 'from-member', 'members-may-not-open'], outcome: 'hold', label: 'member-new-thread' },
  { when: ['to-list', 'from-member'], outcome: 'relay', label: 'member-post' },
  { when: ['implicit-destination'], outcome: 'hold', label: 'implicit-destination' },

  // The requests address: replies to our own mails first, matched by token only.
  { when: ['to-requests', 'unknown-token'], outcome: 'refuse', label: 'unknown-token' },
  // Plain and HTML versions that name different keywords: no command is acted on, the moderators are told why.
  { when: ['to-requests', 'alternatives-disagree'], outcome: 'refuse', label: 'alternatives-disagree' },
  { when: ['to-requests', 'reply-to-moderation'], outcome: 'moderator-command', label: 'moderator-reply' },
  { when: ['to-requests', 'reply-to-question'], outcome: 'applicant-reply', label: 'applicant-answer' },
  { when: ['to-requests', 'reply-to-confirmation'], outcome: 'confirmation', label: 'confirmation' },
  // A moderator's keyword with no token of ours: nothing to act on, and worth a look.
  { when: ['to-requests', 'moderator-keyword', 'from-moderator'], outcome: 'refuse', label: 'keyword-without-token' },
  { when: ['to-requests', 'remove-keyword', 'from-moderator'], outcome: 'moderator-command', label: 'remove' },
  { when: ['to-requests', 'remove-keyword'], outcome: 'refuse', label: 'remove-not-moderator' },
  { when: ['to-requests', 'unsubscribe-keyword'], outcome: 'unsubscribe', label: 'unsubscribe' },
  { when: ['to-requests', 'help-request'], outcome: 'help', label: 'help' },
  // An answer to an acknowledgement or notice of ours is not a new request: a moderator looks.
  { when: ['to-requests', 'reply-to-our-mail'], outcome: 'hold', label: 'reply-to-our-mail' },
  // Anything else to the requests address asks to join.
  { when: ['to-requests'], outcome: 'join-request', label: 'join-request' },
];
