import { domainOf } from '../message/address';
import { MODERATOR_PURPOSES, type TokenPurpose } from '../message/tokens';
import type { Rule, RuleName, Snapshot } from './types';

function withPurpose(snap: Snapshot, purposes: TokenPurpose[]): string[] {
  return snap.tokens.filter((t) => t.row && purposes.includes(t.row.purpose)).map((t) => t.token);
}

function replyRule(name: RuleName, description: string, purposes: TokenPurpose[]): Rule {
  return {
    name,
    description,
    use: 'reason',
    check(_msg, snap) {
      const found = withPurpose(snap, purposes);
      return found.length > 0
        ? `carries ${purposes.join('/')} token ${found.map((t) => `tk-${t.slice(0, 6)}…`).join(', ')}`
        : null;
    },
  };
}

/** A reply to a mail we sent the moderators (a request to decide, a removal to confirm). */
export const replyToModeration = replyRule(
  'reply-to-moderation',
  "The message carries the token of a mail we sent the moderators: a join request to decide, a removal to confirm, a disclosure opened, a post returned, a leak's urgent mail, or a held message.",
  [...MODERATOR_PURPOSES],
);

/** The applicant answering a moderator's question. */
export const replyToQuestion = replyRule(
  'reply-to-question',
  'It carries the token of a question we sent an applicant.',
  ['applicant'],
);

/** An alias confirming its subscription, or a member confirming that it leaves. */
export const replyToConfirmation = replyRule(
  'reply-to-confirmation',
  'It carries the token of a confirmation we asked for (an alias confirming its subscription, or a member confirming that it leaves) or of a liveness probe.',
  ['confirm', 'unsubscribe', 'probe'],
);

/**
 * A reply to some other mail of ours (an acknowledgement, a notice): its In-Reply-To or
 * References name a Message-ID at the list's domain. Not a new request, and not a command.
 */
export const replyToOurMail: Rule = {
  name: 'reply-to-our-mail',
  use: 'reason',
  description:
    "Its In-Reply-To or References name a Message-ID at the list's domain: it answers one of our mails (an acknowledgement, a notice), with or without a token.",
  check(msg, snap) {
    const domain = domainOf(snap.listAddress).toLowerCase();
    const ours = [msg.inReplyTo ?? '', ...msg.references].find((id) => id.toLowerCase().endsWith(`@${domain}>`));
    return ours ? `answers our message ${ours}` : null;
  },
};

/** Something that looks like our token but that we never issued: forged or mangled. */
export const unknownToken: Rule = {
  name: 'unknown-token',
  use: 'reason',
  description: 'It carries something in our token format (`tk-` and 26 letters and digits) that we never issued.',
  check(_msg, snap) {
    const unknown = snap.tokens.filter((t) => !t.row);
    return unknown.length > 0 ? `carries ${unknown.length} token(s) we never issued` : null;
  },
};
