import type { Rule, RuleName } from './types';

/** Keywords a moderator uses in reply to one of our mails. */
export const MODERATOR_KEYWORDS = [
  'APPROVE',
  'REJECT',
  'ASK',
  'CONFIRM',
  'EMBARGO',
  'LIFT',
  'SEND',
  'RETRO',
  'DISCARD',
] as const;
/** What a member writes in a disclosure thread to acknowledge it. */
export const MEMBER_KEYWORDS = ['ACK'] as const;
/** Keywords that start something by a new mail to the requests address. */
export const REQUEST_KEYWORDS = ['UNSUBSCRIBE', 'REMOVE', 'HELP'] as const;
export const ALL_KEYWORDS: readonly string[] = [...MODERATOR_KEYWORDS, ...REQUEST_KEYWORDS, ...MEMBER_KEYWORDS];

function keywordRule(name: RuleName, keywords: readonly string[], description: string): Rule {
  return {
    name,
    description,
    use: 'reason',
    check(_msg, snap) {
      return snap.keyword && keywords.includes(snap.keyword.keyword)
        ? `first line reads ${snap.keyword.keyword}`
        : null;
    },
  };
}

export const moderatorKeyword = keywordRule(
  'moderator-keyword',
  MODERATOR_KEYWORDS,
  `The first line the sender wrote is a moderator keyword: ${MODERATOR_KEYWORDS.map((k) => `\`${k}\``).join(', ')}.`,
);
export const ackKeyword = keywordRule('ack-keyword', MEMBER_KEYWORDS, 'The first line the sender wrote is `ACK`.');
export const unsubscribeKeyword = keywordRule(
  'unsubscribe-keyword',
  ['UNSUBSCRIBE'],
  'The first line the sender wrote is `UNSUBSCRIBE`.',
);
export const removeKeyword = keywordRule(
  'remove-keyword',
  ['REMOVE'],
  'The first line the sender wrote is `REMOVE` (`REMOVE <alias> <reason>`).',
);

/** "help" as the subject or the first line (List-Help points to ?subject=help). */
export const helpRequest: Rule = {
  name: 'help-request',
  use: 'reason',
  description: 'The subject (after `Re:` and the like) or the first line the sender wrote is "help".',
  check(msg, snap) {
    const subject = msg.subject.replace(/^((re|aw|fwd?|sv)\s*:\s*)+/i, '').trim();
    return /^help\W*$/i.test(subject) || snap.keyword?.keyword === 'HELP' ? 'asks for help' : null;
  },
};

/** The sender is one of the configured moderators (by From address alone: not yet authenticated). */
export const fromModerator: Rule = {
  name: 'from-moderator',
  use: 'fact',
  description: 'The From address is in `list.moderators` (the address alone; not yet authenticated).',
  check(msg, snap) {
    return snap.senderIsModerator ? `${msg.from.address} is a configured moderator` : null;
  },
};
