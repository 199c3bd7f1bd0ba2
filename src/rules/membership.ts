import type { Rule } from './types';

/** The From address is an active member. */
export const fromMember: Rule = {
  name: 'from-member',
  use: 'fact',
  description: 'The From address is an active member.',
  check(msg, snap) {
    return snap.senderIsMember ? `${msg.from.address} is an active member` : null;
  },
};

/** Neither a member nor a moderator: a stranger, whose mail never reaches the members. */
export const fromStranger: Rule = {
  name: 'from-stranger',
  use: 'reason',
  description: 'The From address is neither an active member nor a configured moderator.',
  check(msg, snap) {
    return snap.senderIsMember || snap.senderIsModerator
      ? null
      : `${msg.from.address} is neither a member nor a moderator`;
  },
};

/**
 * The From address is not an active member. Recorded for the audit only (use: 'audit'): no chain
 * row names it, since a stranger is from-stranger and a moderator may post without being a member.
 */
export const fromNonMember: Rule = {
  name: 'from-non-member',
  use: 'audit',
  description: 'The From address is not an active member of the list.',
  check(msg, snap) {
    return snap.senderIsMember ? null : `${msg.from.address} is not an active member`;
  },
};
