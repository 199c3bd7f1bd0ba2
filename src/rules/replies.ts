import { MODERATOR_PURPOSES, type TokenPurpose } from '../store/tokens';
import type { Rule, Snapshot } from './types';

function withPurpose(snap: Snapshot, purposes: TokenPurpose[]): string[] {
  return snap.tokens.filter((t) => t.row && purposes.includes(t.row.purpose)).map((t) => t.token);
}

function replyRule(name: string, description: string, purposes: TokenPurpose[]): Rule {
  return {
    name,
    description,
    check(_msg, snap) {
      const found = withPurpose(snap, purposes);
      return found.length > 0 ? `carries ${purposes.join('/')} token ${found.map((t) => `tk-${t.slice(0, 6)}…`).join(', ')}` : null;
    },
  };
}

/** A reply to a mail we sent the moderators (a request to decide, a removal to confirm). */
export const replyToModeration = replyRule('reply-to-moderation', 'Carries the token of a mail we sent the moderators.', [...MODERATOR_PURPOSES]);

/** The applicant answering a moderator's question. */
export const replyToQuestion = replyRule('reply-to-question', 'Carries the token of a question we sent an applicant.', ['applicant']);

/** An alias confirming its subscription, or a member confirming that it leaves. */
export const replyToConfirmation = replyRule('reply-to-confirmation', 'Carries the token of a confirmation we asked for, or of a liveness probe.', ['confirm', 'unsubscribe', 'probe']);

/**
 * A reply to some other mail of ours (an acknowledgement, a notice): its In-Reply-To or
 * References name a Message-ID at the list's domain. Not a new request, and not a command.
 */
export const replyToOurMail: Rule = {
  name: 'reply-to-our-mail',
  description: 'In-Reply-To or References name a Message-ID the list wrote.',
  check(msg, snap) {
    const domain = snap.listAddress.slice(snap.listAddress.lastIndexOf('@') + 1).toLowerCase();
    const ours = [msg.inReplyTo ?? '', ...msg.references].find((id) => id.toLowerCase().endsWith(`@${domain}>`));
    return ours ? `answers our message ${ours}` : null;
  },
};

/** Something that looks like our token but that we never issued: forged or mangled. */
export const unknownToken: Rule = {
  name: 'unknown-token',
  description: 'Carries a token in our format that we never issued.',
  check(_msg, snap) {
    const unknown = snap.tokens.filter((t) => !t.row);
    return unknown.length > 0 ? `carries ${unknown.length} token(s) we never issued` : null;
  },
};
