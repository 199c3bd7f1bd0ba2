/**
 * A reply to a confirmation we asked for: an alias confirming its subscription, or a member
 * confirming that it leaves. The token proves the mail reached that address; the CONFIRM keyword
 * shows a person answered it (an auto-reply never gets here: it is discarded earlier).
 */
import { nowIso, type Context } from '../context';
import { domainOf } from '../message/address';
import type { InboundMessage } from '../message/parse';
import { shipped } from '../paths';
import { checkToken } from '../policy/command-auth';
import { appendAudit } from '../store/audit';
import { markProbeAnswered, upsertMember } from '../store/members';
import { ownReplyText } from '../message/reply';
import { addEvent, getRequest, setState } from '../store/requests';
import { useToken, type TokenRow } from '../store/tokens';
import { removeMemberWithNotice } from './remove-member';
import { takeRequestKey } from './member-key';
import { sendTemplate, answerTo } from './send';
import type { Action, ActResult } from './types';
import fs from 'node:fs';
import path from 'node:path';

export const confirmation: Action = (ctx, { inboundId, msg, snap }) => {
  const check = checkToken(msg, snap, ['confirm', 'unsubscribe', 'probe']);
  if (check.row?.purpose === 'probe' && check.state === 'valid') return probeAnswer(ctx, inboundId, msg, check.row);
  const reply = answerTo(msg, msg.from.address);
  if (check.state !== 'valid') {
    appendAudit(ctx.db, {
      at: nowIso(ctx),
      actor: msg.from.address,
      action: 'confirmation.refused',
      object: check.row?.token ? `token:${check.row.purpose}` : null,
      messageId: msg.messageId,
      detail: { state: check.state },
    });
    return {
      disposition: 'REFUSED',
      copies: sendTemplate(ctx, inboundId, {
        ...reply,
        template: 'requester.notice.confirmation-problem',
        params: { problem: check.detail, expired: check.state === 'expired', used: check.state === 'used' },
      }),
    };
  }
  if (snap.keyword?.keyword !== 'CONFIRM') {
    return {
      disposition: 'NO_KEYWORD',
      copies: sendTemplate(ctx, inboundId, {
        ...reply,
        template: 'requester.notice.confirmation-problem',
        params: { noKeyword: true },
      }),
    };
  }
  const token = check.row;
  return token.purpose === 'confirm' ? subscribe(ctx, inboundId, msg, token) : leave(ctx, inboundId, msg, token);
};

function subscribe(ctx: Context, inboundId: number, msg: InboundMessage, token: TokenRow): ActResult {
  const at = nowIso(ctx);
  const request = getRequest(ctx.db, token.request_id!)!;
  if (request.state !== 'confirming' || !request.alias) {
    return { disposition: 'STALE', copies: 0 };
  }
  const alias = request.alias;
  useToken(ctx.db, token.token, msg.from.address, at);
  upsertMember(ctx.db, alias, request.organization ?? domainOf(alias), at);
  setState(ctx.db, request.id, 'subscribed', at);
  addEvent(ctx.db, request.id, at, msg.from.address, 'confirmed', null);
  appendAudit(ctx.db, {
    at,
    actor: msg.from.address,
    action: 'member.subscribe',
    object: alias,
    messageId: msg.messageId,
    detail: { request: request.id, organization: request.organization },
  });
  const params = {
    id: request.id,
    alias,
    organization: request.organization ?? '',
    confirmedBy: msg.from.address,
    policy: embargoPolicyText(ctx),
    keyFingerprint: takeRequestKey(ctx, request.id, alias, msg),
  };
  let copies = sendTemplate(ctx, inboundId, { template: 'alias.notice.welcome', to: [alias], params });
  copies += sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.subscribed',
    to: ctx.config.list.moderators,
    params,
  });
  if (request.applicant !== alias)
    copies += sendTemplate(ctx, inboundId, {
      template: 'applicant.notice.subscribed',
      to: [request.applicant],
      inReplyTo: request.message_id,
      params,
    });
  return { disposition: 'SUBSCRIBED', copies };
}

function leave(ctx: Context, inboundId: number, msg: InboundMessage, token: TokenRow): ActResult {
  useToken(ctx.db, token.token, msg.from.address, nowIso(ctx));
  const copies = removeMemberWithNotice(
    ctx,
    inboundId,
    token.subject!,
    msg.from.address,
    'unsubscribed',
    null,
    msg.messageId,
  );
  return { disposition: copies < 0 ? 'STALE' : 'UNSUBSCRIBED', copies: Math.max(copies, 0) };
}

/** Any answer of a person to a liveness probe shows the alias is read; "ACCEPT" also re-affirms the policy. */
function probeAnswer(ctx: Context, inboundId: number, msg: InboundMessage, token: TokenRow): ActResult {
  const at = nowIso(ctx);
  const affirmed = /^\s*ACCEPT\b|\bwe (?:still )?accept\b/im.test(ownReplyText(msg.text));
  useToken(ctx.db, token.token, msg.from.address, at);
  markProbeAnswered(ctx.db, token.subject!, at, affirmed);
  appendAudit(ctx.db, {
    at,
    actor: msg.from.address,
    action: affirmed ? 'member.probe-answered.affirmed' : 'member.probe-answered',
    object: token.subject,
    messageId: msg.messageId,
    detail: { inbound: inboundId },
  });
  return { disposition: 'PROBE_ANSWERED', copies: 0 };
}

/** The embargo policy texts read so far, by file; an Error when the last read failed. */
const policyTexts = new Map<string, string | Error>();

function policyFile(ctx: Pick<Context, 'config'>): string {
  return ctx.config.policy.embargoPolicyFile
    ? path.resolve(ctx.config.policy.embargoPolicyFile)
    : shipped('config', 'embargo-policy.txt');
}

/**
 * Reads the embargo policy text ahead, outside any transaction: the pipeline calls this before it
 * handles a message, so that the welcome (embargoPolicyText, inside the message's transaction)
 * does no file I/O. Read once per process and kept: a changed file is read at the next start. A
 * file that cannot be read is tried again at the next call, and reported by embargoPolicyText.
 */
export function loadEmbargoPolicy(ctx: Pick<Context, 'config'>): void {
  const file = policyFile(ctx);
  if (typeof policyTexts.get(file) === 'string') return;
  try {
    policyTexts.set(file, fs.readFileSync(file, 'utf8').trim());
  } catch (err) {
    policyTexts.set(file, err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * The operator's embargo policy text, or the one shipped in config/, as loadEmbargoPolicy read it.
 * Read here only when nothing loaded it first (a caller outside the pipeline).
 */
export function embargoPolicyText(ctx: Pick<Context, 'config'>): string {
  const file = policyFile(ctx);
  if (!policyTexts.has(file)) loadEmbargoPolicy(ctx);
  const text = policyTexts.get(file)!;
  if (text instanceof Error) throw text;
  return text;
}
