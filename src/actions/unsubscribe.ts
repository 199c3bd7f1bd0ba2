/**
 * UNSUBSCRIBE to the requests address: the member is asked to confirm, at its own address, so
 * that nobody can take an organization off the list by forging its From.
 */
import { nowIso } from '../context';
import { tokenMessageId } from '../mail/compose';
import { appendAudit } from '../store/audit';
import { isActiveMember } from '../store/members';
import { createToken } from '../store/tokens';
import { sendTemplate } from './send';
import type { Action } from './types';

export const unsubscribe: Action = (ctx, { inboundId, msg }) => {
  const address = msg.from.address;
  if (!isActiveMember(ctx.db, address)) {
    return {
      disposition: 'NOT_MEMBER',
      copies: sendTemplate(ctx, inboundId, {
        template: 'requester.notice.not-a-member',
        to: [address],
        autoSubmitted: 'auto-replied',
        inReplyTo: msg.messageId,
        params: { address },
      }),
    };
  }
  const token = createToken(ctx.db, {
    purpose: 'unsubscribe',
    subject: address,
    at: ctx.clock(),
    days: ctx.config.policy.tokenDays,
  });
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: address,
    action: 'member.unsubscribe.requested',
    object: address,
    messageId: msg.messageId,
  });
  return {
    disposition: 'UNSUBSCRIBE_PENDING',
    copies: sendTemplate(ctx, inboundId, {
      template: 'member.action.confirm-unsubscribe',
      to: [address],
      autoSubmitted: 'auto-replied',
      inReplyTo: msg.messageId,
      messageId: tokenMessageId(ctx.config, token, 'u'),
      params: { address, token },
    }),
  };
};
