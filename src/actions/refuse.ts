/**
 * Refused: a keyword that did not meet the three conditions, a token we never issued, a REMOVE
 * from a stranger. Nothing is done; it is written to the audit table and the moderators are told
 * that someone tried. The sender gets no answer: it may be forged, and it learns nothing.
 */
import { nowIso, type Context } from '../context';
import type { InboundMessage } from '../message/parse';
import { appendAudit } from '../store/audit';
import { sendTemplate } from './send';
import type { Action } from './types';

export function refuseCommand(ctx: Context, inboundId: number, msg: InboundMessage, label: string, why: string[]): number {
  const at = nowIso(ctx);
  appendAudit(ctx.db, { at, actor: msg.from.address, action: `command.refused.${label}`, object: `inbound:${inboundId}`, messageId: msg.messageId, detail: { why } });
  return sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.command-refused', to: ctx.config.list.moderators,
    params: { from: msg.from.address, subject: msg.subject || '(no subject)', messageId: msg.messageId ?? '(none)', inboundId, why, at },
  });
}

const WHY: Record<string, string> = {
  'unknown-token': 'it carries a token that this list never issued (forged or altered)',
  'keyword-without-token': 'it carries a keyword but no token of a mail we sent: keywords only count in reply to our mail',
  'remove-not-moderator': 'REMOVE was sent by an address that is not a moderator',
  'alternatives-disagree': 'its plain-text and HTML versions do not carry the same keyword, so neither was acted on (hidden HTML text does not count; send the keyword where both versions show it)',
};

export const refuse: Action = (ctx, { inboundId, msg, decision, snap }) => {
  const why = [WHY[decision.label] ?? decision.label];
  if (snap.keywordDisagreement) why.push(snap.keywordDisagreement);
  if (snap.keyword) why.push(`the first line reads ${snap.keyword.keyword}${snap.keyword.argument ? ` ${snap.keyword.argument}` : ''}`);
  return { disposition: 'REFUSED', copies: refuseCommand(ctx, inboundId, msg, decision.label, why) };
};
