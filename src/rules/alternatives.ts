import type { Rule } from './types';

/**
 * The text/plain and HTML alternatives of one mail name different keywords (or one names a
 * keyword and the other none). A client shows one of them and we cannot know which, so neither
 * is acted on.
 */
export const alternativesDisagree: Rule = {
  name: 'alternatives-disagree',
  use: 'reason',
  description:
    'The text/plain and HTML alternatives disagree about the keyword on the first line: one names a keyword the other does not, or another keyword or argument.',
  check(_msg, snap) {
    return snap.keywordDisagreement;
  },
};
