import type { Rule } from './types';

/** Keywords a moderator uses in reply to one of our mails. */
export const MODERATOR_KEYWORDS = ['APPROVE', 'REJECT', 'ASK', 'CONFIRM', 'EMBARGO', 'LIFT', 'SEND', 'RETRO', 'DISCARD'] as const;
/** What a member writes in a disclosure thread to acknowledge it. */
export const MEMBER_KEYWORDS = ['ACK'] as const;
/** Keywords that start something by a new mail to the requests address. */
export const REQUEST_KEYWORDS = ['UNSUBSCRIBE', 'REMOVE', 'HELP'] as const;
export const ALL_KEYWORDS: readonly string[] = [...MODERATOR_KEYWORDS, ...REQUEST_KEYWORDS, ...MEMBER_KEYWORDS];

function keywordRule(name: string, keywords: readonly string[], description: string): Rule {
  return {
    name,
    description,
    check(_msg, snap) {
      return snap.keyword && keywords.includes(snap.keyword.keyword) ? `first line reads ${snap.keyword.keyword}` : null;
    },
  };
}

export const moderatorKeyword = keywordRule('moderator-keyword', MODERATOR_KEYWORDS, `The first line the sender wrote is a moderator keyword (${MODERATOR_KEYWORDS.join(', ')}).`);
export const ackKeyword = keywordRule('ack-keyword', MEMBER_KEYWORDS, 'The first line the sender wrote is ACK.');
export const unsubscribeKeyword = keywordRule('unsubscribe-keyword', ['UNSUBSCRIBE'], 'The first line the sender wrote is UNSUBSCRIBE.');
export const removeKeyword = keywordRule('remove-keyword', ['REMOVE'], 'The first line the sender wrote is REMOVE <alias> <reason>.');

/** "help" as the subject or the first line (List-Help points to ?subject=help). */
export const helpRequest: Rule = {
  name: 'help-request',
  description: 'The subject or the first line the sender wrote is "help".',
  check(msg, snap) {
    const subject = msg.subject.replace(/^((re|aw|fwd?|sv)\s*:\s*)+/i, '').trim();
    return /^help\W*$/i.test(subject) || snap.keyword?.keyword === 'HELP' ? 'asks for help' : null;
  },
};

/** The sender is one of the configured moderators (by From address alone: not yet authenticated). */
export const fromModerator: Rule = {
  name: 'from-moderator',
  description: 'The From address is a configured moderator.',
  check(msg, snap) {
    return snap.senderIsModerator ? `${msg.from.address} is a configured moderator` : null;
  },
};
