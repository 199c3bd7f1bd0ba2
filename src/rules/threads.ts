import type { Rule } from './types';

/** A reply in a disclosure thread. */
export const inThread: Rule = {
  name: 'in-thread',
  use: 'fact',
  description:
    'The message belongs to a disclosure thread: its In-Reply-To or References name a message of the thread, or else its subject contains `[#N]` of an existing disclosure.',
  check(_msg, snap) {
    return snap.thread ? `in disclosure thread #${snap.thread.id}` : null;
  },
};

/** Not in any disclosure thread. */
export const newThread: Rule = {
  name: 'new-thread',
  use: 'fact',
  description: 'The message does not belong to a disclosure thread.',
  check(_msg, snap) {
    return snap.thread ? null : 'not in a disclosure thread';
  },
};

/** A member's new post waits for a moderator unless members may open threads (policy). */
export const membersMayNotOpen: Rule = {
  name: 'members-may-not-open',
  use: 'reason',
  description:
    '`policy.membersMayOpenThreads` is off, the sender is an active member, and the message is not in a disclosure thread: the new post waits for a moderator.',
  check(_msg, snap) {
    if (snap.membersMayOpenThreads || !snap.senderIsMember || snap.thread) return null;
    return 'members may not open threads (policy.membersMayOpenThreads is off)';
  },
};

/** Not a reply in a thread, but names one by number: a leak report sent to the wrong place. */
export const namesThread: Rule = {
  name: 'names-thread',
  use: 'reason',
  description:
    "Not in a thread, but the subject or the sender's own text names exactly one existing disclosure by number.",
  check(_msg, snap) {
    return !snap.thread && snap.namedThread ? `names disclosure #${snap.namedThread.id}` : null;
  },
};

export const leak: Rule = {
  name: 'leak',
  use: 'reason',
  description:
    'The subject, after reply prefixes and bracketed tags, or the first line the sender wrote starts with the word `LEAK`.',
  check(_msg, snap) {
    return snap.isLeak ? 'reports a leak' : null;
  },
};

/**
 * Nothing goes to the members from a sender we cannot authenticate: a forged disclosure or reply
 * sent to every member's security team would be a phishing weapon.
 */
export const unauthenticated: Rule = {
  name: 'unauthenticated',
  use: 'reason',
  description:
    '`security.requireAuthenticatedPosts` is on and the sender is not authenticated: no DKIM pass aligned with the From domain, or a trusted result that fails or contradicts.',
  check(msg, snap) {
    if (!snap.requireAuthenticatedPosts || snap.auth?.authenticated) return null;
    return `${msg.from.address} is not authenticated: ${snap.auth?.decidedBy ?? 'not checked'}`;
  },
};
