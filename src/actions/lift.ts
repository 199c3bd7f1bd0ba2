import { nowIso, type Context } from '../context';
import { formatUtc } from '../policy/embargo-date';
import { appendAudit } from '../store/audit';
import { getDisclosure, liftDisclosure, type DisclosureRow } from '../store/disclosures';
import { noticeToThread } from './thread-notice';

/** Ends an embargo: the thread becomes public and the list is told, once. Returns copies, or -1 if it was already public. */
export function liftAndAnnounce(ctx: Context, inboundId: number | null, d: DisclosureRow, by: string): number {
  const at = nowIso(ctx);
  if (!liftDisclosure(ctx.db, d.id, by, at)) return -1;
  appendAudit(ctx.db, { at, actor: by, action: 'disclosure.lift', object: `disclosure:${d.id}` });
  const lifted = getDisclosure(ctx.db, d.id)!;
  return noticeToThread(ctx, inboundId, lifted, 'member.notice.embargo-lifted', {
    at: formatUtc(new Date(at)),
    by: by === 'clock' ? null : by,
  });
}
