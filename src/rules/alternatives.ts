import type { Rule } from './types';

/**
 * The text/plain and HTML alternatives of one mail name different keywords (or one names a
 * keyword and the other none). A client shows one of them and we cannot know which, so neither
 * is acted on.
 */
export const alternativesDisagree: Rule = {
  name: 'alternatives-disagree',
  description: 'The text/plain and HTML versions of the mail do not carry the same keyword.',
  check(_msg, snap) {
    return snap.keywordDisagreement;
  },
};
