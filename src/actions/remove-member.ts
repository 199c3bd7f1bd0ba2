/** Taking a member off the list, for whatever reason: the state, the audit, and who is told. */
import { nowIso, type Context } from '../context';
import { appendAudit } from '../store/audit';
import { findMember, removeMember } from '../store/members';
import { cancelMemberMail } from '../store/outbox';
import { sendTemplate } from './send';

export type RemovalKind = 'removed' | 'unsubscribed';

/** Returns the copies queued, or -1 when the address was not an active member. */
export function removeMemberWithNotice(
  ctx: Context,
  inboundId: number | null,
  address: string,
  actor: string,
  kind: RemovalKind,
  reason: string | null,
  messageId: string | null = null,
): number {
  const at = nowIso(ctx);
  const member = findMember(ctx.db, address);
  if (!member || !removeMember(ctx.db, address, at)) return -1;
  cancelMemberMail(ctx.db, address, `cancelled: ${kind} at ${at}`, at);
  appendAudit(ctx.db, {
    at,
    actor,
    action: kind === 'removed' ? 'member.remove' : 'member.unsubscribe',
    object: address,
    messageId,
    detail: reason ? { reason } : null,
  });
  const params = { address, organization: member.organization, reason, actor, kind, removed: kind === 'removed' };
  let copies = sendTemplate(ctx, inboundId, { template: 'member.notice.removed', to: [address], params });
  copies += sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.member-removed',
    to: ctx.config.list.moderators,
    params,
  });
  return copies;
}
