/** Our own notices into a disclosure thread (lift, reminder, new end): to every member, threaded. */
import type { Context } from '../context';
import type { MailParams, ThreadNoticeKind, ThreadNoticeParams } from '../mail/mailer';
import { newMessageId } from '../mail/compose';
import { addThreadMessage, type DisclosureRow } from '../store/disclosures';
import { activeMembers } from '../store/members';
import { sendTemplate, sendThreadMail } from './send';
import { threadPrefix } from './thread-relay';

export function noticeToThread<K extends ThreadNoticeKind>(
  ctx: Context,
  inboundId: number | null,
  d: DisclosureRow,
  template: K,
  params: ThreadNoticeParams<K>,
  to?: string[],
): number {
  const recipients = to ?? activeMembers(ctx.db).map((m) => m.address);
  if (recipients.length === 0) return 0;
  const messageId = newMessageId(ctx.config);
  addThreadMessage(ctx.db, messageId, d.id);
  // Addressed to the list, answered to the list: a reply-all never goes to every member directly.
  // Thread mail: encrypted and clear variants, or the key-required notice (policy.encryption).
  return sendThreadMail(ctx, inboundId, d, recipients, (variant, to, encryptTo) =>
    sendTemplate(ctx, inboundId, {
      template,
      to,
      messageId,
      headerTo: [ctx.config.list.address],
      replyTo: ctx.config.list.address,
      verp: true,
      inReplyTo: d.opening_message_id,
      references: d.opening_message_id ? [d.opening_message_id] : [],
      encryptTo,
      params: { id: d.id, prefix: threadPrefix(d), subject: d.subject, ...variant, ...params } as MailParams<K>,
    }),
  );
}
