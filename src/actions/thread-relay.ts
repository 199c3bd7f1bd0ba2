/**
 * Relaying into a disclosure thread: the list's copy of the post, its subject prefixed with the
 * embargo and the thread number, a footer that says how long the embargo runs and how to report
 * a leak, one envelope per member. The author's body is kept whole inside the new MIME wrapper.
 */
import { nowIso, type Context } from '../context';
import { decorate } from '../mail/decorate';
import { composeRelay } from '../mail/relay';
import type { MailParams } from '../mail/mailer';
import { formatUtc } from '../policy/embargo-date';
import { appendAudit } from '../store/audit';
import { addThreadMessage, type DisclosureRow } from '../store/disclosures';
import { activeMembers } from '../store/members';
import { enqueueMail } from '../store/outbox';
import { memberEnvelope } from './member-envelope';
import { disclosureFooter, sendThreadMail, type ThreadVariant } from './send';

/** Every tag threadPrefix writes, whatever end it named: a reply's old tags give way to the current ones. */
const THREAD_TAGS = /\[(?:EMBARGOED(?: until [^\]]*)?|#\d+|upstream notice)\]\s*/gi;

export function threadPrefix(d: DisclosureRow): string {
  if (d.state === 'public') return `[#${d.id}]`;
  const upstream = d.upstream ? ' [upstream notice]' : '';
  return d.embargo_end
    ? `[EMBARGOED until ${formatUtc(new Date(d.embargo_end))}] [#${d.id}]${upstream}`
    : `[EMBARGOED] [#${d.id}]${upstream}`;
}

export function footerParams(
  ctx: Context,
  d: DisclosureRow,
  variant: ThreadVariant = { pgp: false, encrypted: false },
): MailParams<'member.footer.disclosure'> {
  return {
    ...variant,
    id: d.id,
    listName: ctx.config.list.name,
    embargoed: d.state === 'embargoed',
    upstream: d.upstream === 1,
    end: d.embargo_end ? formatUtc(new Date(d.embargo_end)) : null,
    liftedAt: d.lifted_at ? formatUtc(new Date(d.lifted_at)) : null,
  };
}

/** Queues the decorated copy for every active member; returns the number of copies. */
export function relayToThread(
  ctx: Context,
  inboundId: number | null,
  raw: Buffer,
  d: DisclosureRow,
  author: string,
  messageId: string | null,
  rewriteFrom?: boolean,
): number {
  const relayed = composeRelay(raw, ctx.config, rewriteFrom, ctx.clock());
  const recipients = activeMembers(ctx.db).map((m) => m.address);
  // One decorated variant per kind of copy (encrypted, clear): its footer says which it is.
  const copies = sendThreadMail(ctx, inboundId, d, recipients, (variant, to, encryptTo) =>
    enqueueMail(
      ctx.db,
      {
        inboundId,
        purpose: 'relay',
        envelopeFrom: relayed.envelopeFrom,
        messageId,
        raw: decorate(relayed.raw, {
          subjectPrefix: threadPrefix(d),
          footer: disclosureFooter(ctx, footerParams(ctx, d, variant)),
          staleTags: THREAD_TAGS,
        }),
        recipients: to,
        envelopeFor: memberEnvelope(ctx),
        encryptTo,
      },
      nowIso(ctx),
    ),
  );
  addThreadMessage(ctx.db, messageId, d.id);
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: author,
    action: 'thread.relay',
    object: `disclosure:${d.id}`,
    messageId,
    detail: { recipients: copies },
  });
  return copies;
}
