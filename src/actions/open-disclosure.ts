/**
 * A moderator's new post to the list opens a disclosure thread, when it says when the embargo
 * ends. Without a readable end, or with one in the past or too far ahead, it is not relayed: the
 * moderator gets it back with the reason and the keywords that send it anyway.
 */
import { nowIso, type Context } from '../context';
import { tokenMessageId } from '../mail/compose';
import {
  findEmbargoEnd,
  formatKeyword,
  formatUtc,
  formatWords,
  isUpstreamNotice,
  type EmbargoProblem,
} from '../policy/embargo-date';
import { appendAudit } from '../store/audit';
import { addReceipt, getDisclosure, insertDisclosure } from '../store/disclosures';
import { activeMembers } from '../store/members';
import { createToken } from '../store/tokens';
import { sendTemplate } from './send';
import { relayToThread } from './thread-relay';
import type { Action } from './types';

export interface Opening {
  inboundId: number;
  raw: Buffer;
  subject: string;
  messageId: string | null;
  openedBy: string;
  end: Date | null;
  upstream: boolean;
  /** Attachments some members' gateways drop (executables, archives), for the moderators. */
  flagged?: string[];
  rewriteFrom?: boolean;
}

/** What a returned post's "send" token remembers, so SEND can open it later. */
export interface HeldOpening {
  inboundId: number;
  subject: string;
  messageId: string | null;
  openedBy: string;
  upstream: boolean;
  problem: EmbargoProblem['code'];
  end: string | null;
}

/** Tokens that must serve until something is done, not for a few days: ten years. */
export const LONG_LIVED_DAYS = 3650;

/** Executables and archives: they pass through untouched, but some members' mail gateways drop them. */
const RISKY = /\.(exe|dll|msi|bat|cmd|com|scr|ps1|vbs|js|jar|sh|app|dmg|iso|zip|7z|rar|tar|tgz|gz|bz2|xz|cab)$/i;
const RISKY_TYPES =
  /^application\/(x-msdownload|x-executable|x-sh|java-archive|zip|x-7z-compressed|x-rar|x-tar|gzip|x-gzip)/i;

export function flaggedAttachments(attachments: { filename: string; contentType: string }[]): string[] {
  return attachments
    .filter((a) => RISKY.test(a.filename) || RISKY_TYPES.test(a.contentType))
    .map((a) => `${a.filename || '(no name)'} (${a.contentType})`);
}

export function openDisclosure(ctx: Context, o: Opening): { id: number; copies: number } {
  const at = nowIso(ctx);
  const { config } = ctx;
  const id = insertDisclosure(
    ctx.db,
    {
      subject: o.subject,
      openingMessageId: o.messageId,
      openedBy: o.openedBy,
      embargoEnd: o.end?.toISOString() ?? null,
      upstream: o.upstream,
      inboundId: o.inboundId,
    },
    at,
  );
  for (const m of activeMembers(ctx.db)) addReceipt(ctx.db, id, m.address, m.organization);
  const disclosure = getDisclosure(ctx.db, id)!;
  let copies = relayToThread(ctx, o.inboundId, o.raw, disclosure, o.openedBy, o.messageId, o.rewriteFrom);
  appendAudit(ctx.db, {
    at,
    actor: o.openedBy,
    action: 'disclosure.open',
    object: `disclosure:${id}`,
    messageId: o.messageId,
    detail: { end: disclosure.embargo_end, upstream: o.upstream },
  });
  // The moderators' handle on the thread: EMBARGO and LIFT in reply to this notice, for as long as
  // the thread lives (an open-ended embargo, an end moved later). Once public, LIFT and EMBARGO refuse.
  const token = createToken(ctx.db, { purpose: 'thread', subject: String(id), at: ctx.clock(), days: LONG_LIVED_DAYS });
  copies += sendTemplate(ctx, o.inboundId, {
    template: 'moderator.action.disclosure-opened',
    to: config.list.moderators,
    messageId: tokenMessageId(config, token, `d${id}`),
    params: {
      id,
      token,
      subject: o.subject,
      end: o.end ? formatUtc(o.end) : null,
      upstream: o.upstream,
      members: activeMembers(ctx.db).length,
      openedBy: o.openedBy,
      flagged: o.flagged ?? [],
    },
  });
  return { id, copies };
}

export const openDisclosureAction: Action = (ctx, { inboundId, msg, snap }) => {
  const { config } = ctx;
  const upstream = isUpstreamNotice(msg.text);
  const found = findEmbargoEnd(msg.text, {
    now: ctx.clock(),
    maxDays: config.policy.maxEmbargoDays,
    mailDate: msg.date,
  });
  if (found.ok) {
    const flagged = flaggedAttachments(msg.attachments);
    const { id, copies } = openDisclosure(ctx, {
      inboundId,
      raw: msg.raw,
      subject: msg.subject,
      messageId: msg.messageId,
      openedBy: msg.from.address,
      end: found.end.end,
      upstream,
      flagged,
      rewriteFrom: snap.rewriteFrom,
    });
    ctx.log
      .child({ stage: 'act' })
      .info(
        { disclosure: id, end: found.end.end.toISOString() },
        `DISCLOSURE_OPENED #${id} until ${formatUtc(found.end.end)}`,
      );
    return { disposition: 'DISCLOSED', copies };
  }
  const problem = found.problem;
  // A proposal's end is remembered by nobody: only the moderator's EMBARGO <end> reply opens it with one.
  const end = 'end' in problem ? problem.end.toISOString() : null;
  const detail: HeldOpening = {
    inboundId,
    subject: msg.subject,
    messageId: msg.messageId,
    openedBy: msg.from.address,
    upstream,
    problem: problem.code,
    end,
  };
  const token = createToken(ctx.db, { purpose: 'send', detail, at: ctx.clock(), days: config.policy.tokenDays });
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: msg.from.address,
    action: 'disclosure.returned',
    object: `inbound:${inboundId}`,
    messageId: msg.messageId,
    detail:
      problem.code === 'EMBARGO_PROPOSED'
        ? { problem: problem.code, proposal: problem.proposal.end.toISOString() }
        : { problem: problem.code },
  });
  // Back to the moderator who sent it, in its thread, with the token that SEND or EMBARGO answers.
  const back = {
    to: [msg.from.address],
    autoSubmitted: 'auto-replied' as const,
    inReplyTo: msg.messageId,
    messageId: tokenMessageId(config, token, 'hold'),
  };
  if (problem.code === 'EMBARGO_PROPOSED') {
    const { proposal } = problem;
    ctx.log
      .child({ stage: 'act' })
      .info(
        { inbound: inboundId, proposal: proposal.end.toISOString() },
        `EMBARGO_PROPOSED inbound ${inboundId} read as ${formatUtc(proposal.end)}, not opened`,
      );
    const copies = sendTemplate(ctx, inboundId, {
      template: 'moderator.action.disclosure-proposed',
      ...back,
      params: {
        token,
        subject: msg.subject || '(no subject)',
        line: proposal.line,
        why: proposal.why,
        end: formatUtc(proposal.end),
        words: formatWords(proposal.end),
        keyword: formatKeyword(proposal.end),
        maxDays: config.policy.maxEmbargoDays,
      },
    });
    return { disposition: 'RETURNED', copies };
  }
  const copies = sendTemplate(ctx, inboundId, {
    template: 'moderator.action.disclosure-returned',
    ...back,
    params: {
      token,
      subject: msg.subject || '(no subject)',
      problem: problem.message,
      sendAsIs: problem.code !== 'EMBARGO_PAST',
      sendOpenEnded: problem.code !== 'EMBARGO_TOO_FAR' && problem.code !== 'EMBARGO_PAST',
      end: end ? formatUtc(new Date(end)) : null,
      maxDays: config.policy.maxEmbargoDays,
    },
  });
  return { disposition: 'RETURNED', copies };
};
