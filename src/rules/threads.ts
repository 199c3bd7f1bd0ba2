import type { Rule } from './types';

/** A reply in a disclosure thread. */
export const inThread: Rule = {
  name: 'in-thread',
  description: 'Replies to a message of a disclosure thread, or names its [#N] in the subject.',
  check(_msg, snap) {
    return snap.thread ? `in disclosure thread #${snap.thread.id}` : null;
  },
};

/** Not in any disclosure thread. */
export const newThread: Rule = {
  name: 'new-thread',
  description: 'Is not a reply in a disclosure thread.',
  check(_msg, snap) {
    return snap.thread ? null : 'not in a disclosure thread';
  },
};

/** A member's new post waits for a moderator unless members may open threads (policy). */
export const membersMayNotOpen: Rule = {
  name: 'members-may-not-open',
  description: 'policy.membersMayOpenThreads is off: a new post from a member waits for a moderator.',
  check(_msg, snap) {
    if (snap.membersMayOpenThreads || !snap.senderIsMember || snap.thread) return null;
    return 'members may not open threads (policy.membersMayOpenThreads is off)';
  },
};

/** Not a reply in a thread, but names one by number: a leak report sent to the wrong place. */
export const namesThread: Rule = {
  name: 'names-thread',
  description: 'Names an existing disclosure by its number without replying in its thread.',
  check(_msg, snap) {
    return !snap.thread && snap.namedThread ? `names disclosure #${snap.namedThread.id}` : null;
  },
};

export const leak: Rule = {
  name: 'leak',
  description: 'The subject or the first line the sender wrote starts with LEAK.',
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
  description: 'security.requireAuthenticatedPosts is on and the sender is not authenticated (an aligned DKIM pass, nothing failing).',
  check(msg, snap) {
    if (!snap.requireAuthenticatedPosts || snap.auth?.authenticated) return null;
    return `${msg.from.address} is not authenticated: ${snap.auth?.decidedBy ?? 'not checked'}`;
  },
};
