/**
 * Puts one mail of our own in the outbox: a template rendered, composed, queued for each
 * recipient. Runs inside the caller's transaction like every action.
 */
import type { InboundMessage } from '../message/parse';
import { bounceAddress } from '../config';
import { nowIso, type Context } from '../context';
import { composeNotice, type NoticeAttachment } from '../mail/compose';
import type { MailParams, RefusalReason, SentKind } from '../mail/mailer';
import { render, renderBody } from '../mail/templates';
import { encryptionActive, splitThreadRecipients } from '../openpgp/outbound';
import type { DisclosureRow } from '../store/disclosures';
import { noticeOnlyMembers, recordNoticeOnly, usableKeyRow } from '../store/keys';
import { enqueueMail } from '../store/outbox';
import { autoRepliesSince, recordAutoReply } from '../store/auto-replies';
import { memberEnvelope } from './member-envelope';

/** The moderators are never capped: their action mails (a returned post, a confirmation) must arrive. */
function underCap(ctx: Context, recipient: string): boolean {
  if (ctx.config.list.moderators.some((m) => m.toLowerCase() === recipient.toLowerCase())) return true;
  const since = new Date(ctx.clock().getTime() - 86_400_000).toISOString();
  return autoRepliesSince(ctx.db, recipient, since) < ctx.config.policy.autoRepliesPerDay;
}

/** One mail of a kind declared in mail/mailer.ts: a misspelt kind or a wrong parameter does not compile. */
export interface TemplatedMail<K extends SentKind = SentKind> {
  template: K;
  to: string[];
  params: MailParams<K>;
  /** auto-replied: answers a mail; auto-generated: our own initiative (RFC 3834). */
  autoSubmitted?: 'auto-replied' | 'auto-generated';
  inReplyTo?: string | null;
  references?: string[];
  messageId?: string;
  headerTo?: string[];
  replyTo?: string;
  /** Mail to members: each copy gets the member's own envelope sender (VERP), so its bounce counts. */
  verp?: boolean;
  /** Thread mail: the member key fingerprint each copy is encrypted to at delivery (sendThreadMail). */
  encryptTo?: (recipient: string) => string | null;
  /** Parts after the text (a quarantined message, attached for the moderators). */
  attachments?: NoticeAttachment[];
}

export function baseParams(ctx: Context): Record<string, unknown> {
  const { list } = ctx.config;
  return { listName: list.name, listAddress: list.address, requestsAddress: list.requestsAddress };
}

/** The addressing of an automatic answer to the sender of `msg`, in its thread (RFC 3834). */
export function answerTo(
  msg: Pick<InboundMessage, 'messageId' | 'references'>,
  to: string,
): { to: string[]; autoSubmitted: 'auto-replied'; inReplyTo: string | null; references: string[] } {
  return { to: [to], autoSubmitted: 'auto-replied', inReplyTo: msg.messageId, references: msg.references };
}

/**
 * Returns the number of copies queued. An automatic answer (auto-replied) goes to no address more
 * than policy.autoRepliesPerDay times a day, so that a forged From cannot turn us into a
 * reflector and two robots cannot talk forever (RFC 3834); over the cap it is skipped and logged.
 */
export function sendTemplate<K extends SentKind>(
  ctx: Context,
  inboundId: number | null,
  mail: TemplatedMail<K>,
): number {
  if (mail.autoSubmitted === 'auto-replied') {
    const allowed = mail.to.filter((r) => underCap(ctx, r));
    if (allowed.length < mail.to.length) {
      ctx.log
        .child({ stage: 'act' })
        .warn(
          { template: mail.template, skipped: mail.to.filter((r) => !allowed.includes(r)) },
          `AUTOREPLY_CAPPED ${mail.template}`,
        );
    }
    if (allowed.length === 0) return 0;
    for (const r of allowed) recordAutoReply(ctx.db, r, nowIso(ctx));
    mail = { ...mail, to: allowed };
  }
  const rendered = render(ctx.templates, mail.template, {
    ...baseParams(ctx),
    ...(mail.params as Record<string, unknown>),
  });
  const composed = composeNotice(
    ctx.config,
    {
      to: mail.to,
      rendered,
      autoSubmitted: mail.autoSubmitted ?? 'auto-generated',
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      messageId: mail.messageId,
      headerTo: mail.headerTo,
      replyTo: mail.replyTo,
      attachments: mail.attachments,
    },
    ctx.clock(),
  );
  // An automatic answer goes out with the null envelope sender (RFC 3834 section 3.3): if it
  // bounces, the bounce goes nowhere, and no robot answers it.
  const envelopeFrom = mail.autoSubmitted === 'auto-replied' ? '' : bounceAddress(ctx.config);
  return enqueueMail(
    ctx.db,
    {
      inboundId,
      purpose: mail.template,
      envelopeFrom,
      messageId: composed.messageId,
      envelopeFor: mail.verp && envelopeFrom !== '' ? memberEnvelope(ctx) : undefined,
      raw: composed.raw,
      recipients: mail.to,
      encryptTo: mail.encryptTo ?? moderatorKeys(ctx, mail.to),
    },
    nowIso(ctx),
  );
}

/**
 * Our own mail to a moderator who registered an OpenPGP key (`moderators key add`) goes encrypted
 * to that key while encryption is in force, whatever the mail: subjects of disclosures, held and
 * returned posts, and quarantined messages attached whole all pass through moderators' mail. A
 * moderator without a usable key gets it in the clear, as before (the list must reach its
 * moderators). undefined when no copy is to be encrypted.
 */
function moderatorKeys(ctx: Context, to: readonly string[]): ((recipient: string) => string | null) | undefined {
  if (!encryptionActive(ctx.config)) return undefined;
  const now = ctx.clock();
  const moderators = new Set(ctx.config.list.moderators.map((m) => m.toLowerCase()));
  const keys = new Map<string, string>();
  for (const r of to) {
    if (!moderators.has(r.toLowerCase())) continue;
    const row = usableKeyRow(ctx.db, r, now, 'moderator');
    if (row) keys.set(r, row.fingerprint);
  }
  return keys.size > 0 ? (r) => keys.get(r) ?? null : undefined;
}

/** The disclosure footer added to every relayed post of a thread. */
export function disclosureFooter(ctx: Context, params: MailParams<'member.footer.disclosure'>): string {
  return renderBody(ctx.templates, 'member.footer.disclosure', params);
}

/** Why a command was refused, one sentence per reason, from templates/moderator.fragment.refusal-reason.txt. */
export function refusalSentences(ctx: Context, reasons: RefusalReason[]): string[] {
  return reasons.map((r) => renderBody(ctx.templates, 'moderator.fragment.refusal-reason', r));
}

/** One variant of a thread mail: the footer (or the notice's last lines) says whether the copy is encrypted. */
export interface ThreadVariant {
  pgp: boolean;
  encrypted: boolean;
}

/**
 * Thread mail (a post relayed into a disclosure thread, a notice into it) to members, split by
 * policy.encryption (openpgp/outbound): the encrypted copies and the clear ones are each one
 * variant, rendered once and queued as its own outbox_message (`enqueue`); members who must have a
 * key and have none get only the key-required notice, once per disclosure, and the moderators are
 * told who. Synchronous, inside the caller's transaction. Returns the number of copies queued.
 */
export function sendThreadMail(
  ctx: Context,
  inboundId: number | null,
  d: Pick<DisclosureRow, 'id'>,
  recipients: readonly string[],
  enqueue: (variant: ThreadVariant, to: string[], encryptTo?: (recipient: string) => string | null) => number,
): number {
  const now = ctx.clock();
  const split = splitThreadRecipients(
    ctx.config,
    recipients,
    (r) => usableKeyRow(ctx.db, r, now)?.fingerprint ?? null,
    () => noticeOnlyMembers(ctx.db, d.id),
  );
  let copies = 0;
  if (split.clear.length > 0) copies += enqueue({ pgp: split.pgp, encrypted: false }, split.clear);
  if (split.encrypted.size > 0)
    copies += enqueue(
      { pgp: true, encrypted: true },
      [...split.encrypted.keys()],
      (r) => split.encrypted.get(r) ?? null,
    );
  if (split.noticeOnly.length > 0) copies += sendKeyRequired(ctx, inboundId, d.id, split.noticeOnly);
  if (split.pgp)
    ctx.log.child({ stage: 'act' }).info(
      {
        disclosure: d.id,
        encrypted: split.encrypted.size,
        clear: split.clear.length,
        noticeOnly: split.noticeOnly.length,
        alreadyTold: split.alreadyTold.length,
      },
      `THREAD_MAIL #${d.id} encrypted=${split.encrypted.size} clear=${split.clear.length} notice_only=${split.noticeOnly.length} already_told=${split.alreadyTold.length}`,
    );
  return copies;
}

/**
 * policy.encryption: required, members without a usable key: each gets member.notice.key-required
 * (that disclosure #N exists and how to give the list a key, nothing of its text or subject), is
 * recorded so that it is told once per disclosure, and the moderators get the list of them.
 */
function sendKeyRequired(ctx: Context, inboundId: number | null, disclosure: number, members: string[]): number {
  let copies = 0;
  for (const member of members) {
    copies += sendTemplate(ctx, inboundId, {
      template: 'member.notice.key-required',
      to: [member],
      verp: true,
      params: { id: disclosure, member, moderators: ctx.config.list.moderators.join(', ') },
    });
    recordNoticeOnly(ctx.db, disclosure, member, nowIso(ctx));
  }
  copies += sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.members-without-key',
    to: ctx.config.list.moderators,
    params: { id: disclosure, count: members.length, members },
  });
  ctx.log
    .child({ stage: 'act' })
    .warn(
      { disclosure, members },
      `NOTICE_ONLY #${disclosure} members=${members.join(',')} (no usable key, policy.encryption required)`,
    );
  return copies;
}
