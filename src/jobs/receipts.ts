/**
 * Receipts: ackHours after a disclosure opened, every member that has not acknowledged it gets
 * one reminder, and the moderators get the list of them with each one's delivery state. Once.
 */
import { noticeToThread } from '../actions/thread-notice';
import { sendTemplate } from '../actions/send';
import { nowIso, type Context } from '../context';
import { formatUtc } from '../policy/embargo-date';
import { transaction } from '../store/db';
import { deliveryOf, markAckReminded, markReceiptReminded, openedBefore, receiptsOf } from '../store/disclosures';
import { isActiveMember } from '../store/members';

export interface ReceiptsResult {
  disclosures: number;
  reminded: number;
}

export function runReceipts(ctx: Context): ReceiptsResult {
  return transaction(ctx.db, () => {
    const at = nowIso(ctx);
    const before = new Date(ctx.clock().getTime() - ctx.config.policy.ackHours * 3_600_000).toISOString();
    const result: ReceiptsResult = { disclosures: 0, reminded: 0 };
    let copies = 0;
    for (const d of openedBefore(ctx.db, before)) {
      markAckReminded(ctx.db, d.id, at);
      result.disclosures += 1;
      const delivery = deliveryOf(ctx.db, d);
      const missing = receiptsOf(ctx.db, d.id).filter((r) => !r.acked_at && isActiveMember(ctx.db, r.member));
      if (missing.length === 0) continue;
      const openedAt = formatUtc(new Date(d.opened_at));
      for (const r of missing) {
        markReceiptReminded(ctx.db, d.id, r.member, at);
        copies += noticeToThread(ctx, null, d, 'member.action.ack-reminder', { member: r.member, openedAt }, [
          r.member,
        ]);
        result.reminded += 1;
      }
      copies += sendTemplate(ctx, null, {
        template: 'moderator.notice.unacknowledged',
        to: ctx.config.list.moderators,
        params: {
          id: d.id,
          subject: d.subject,
          openedAt,
          count: missing.length,
          members: missing.map((r) => ({
            member: r.member,
            organization: r.organization,
            status: delivery.get(r.member) ?? null,
          })),
        },
      });
    }
    if (copies > 0) queueMicrotask(ctx.outboxChanged);
    return result;
  });
}
