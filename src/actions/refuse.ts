/**
 * Refused: a keyword that did not meet the three conditions, a token we never issued, a REMOVE
 * from a stranger. Nothing is done; it is written to the audit table and the moderators are told
 * that someone tried. The sender gets no answer: it may be forged, and it learns nothing.
 */
import { nowIso, type Context } from '../context';
import type { InboundMessage } from '../message/parse';
import { appendAudit } from '../store/audit';
import type { RefusalReason } from '../mail/mailer';
import { refusalSentences, sendTemplate } from './send';
import type { Action } from './types';

export function refuseCommand(
  ctx: Context,
  inboundId: number,
  msg: InboundMessage,
  label: string,
  reasons: RefusalReason[],
): number {
  const at = nowIso(ctx);
  const why = refusalSentences(ctx, reasons);
  appendAudit(ctx.db, {
    at,
    actor: msg.from.address,
    action: `command.refused.${label}`,
    object: `inbound:${inboundId}`,
    messageId: msg.messageId,
    detail: { why },
  });
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.command-refused',
    to: ctx.config.list.moderators,
    params: {
      from: msg.from.address,
      subject: msg.subject || '(no subject)',
      messageId: msg.messageId ?? '(none)',
      inboundId,
      why,
      at,
    },
  });
}

/** Each refusing row's reason; its sentence is in templates/moderator.fragment.refusal-reason.txt. */
const WHY: Record<string, RefusalReason> = {
  'unknown-token': { unknownToken: true },
  'keyword-without-token': { keywordWithoutToken: true },
  'remove-not-moderator': { removeNotModerator: true },
  'alternatives-disagree': { alternativesDisagree: true },
};

export const refuse: Action = (ctx, { inboundId, msg, decision, snap }) => {
  const why: RefusalReason[] = [WHY[decision.label] ?? { plain: true, detail: decision.label }];
  if (snap.keywordDisagreement) why.push({ plain: true, detail: snap.keywordDisagreement });
  if (snap.keyword) why.push({ firstLine: true, keyword: snap.keyword.keyword, argument: snap.keyword.argument });
  return { disposition: 'REFUSED', copies: refuseCommand(ctx, inboundId, msg, decision.label, why) };
};
