/**
 * A bounce: never relayed, never answered. When its VERP address names a member and it reports a
 * permanent failure, the member's bounce score rises (once a day at most); at the threshold the
 * member is marked unreachable and the moderators are told. Removal stays a moderator's decision.
 */
import { bounceAddress } from '../config';
import { nowIso } from '../context';
import { parseBounce } from '../policy/bounce';
import { scoreBounce } from '../policy/bounce-score';
import { appendAudit } from '../store/audit';
import { findMemberByVerp, saveBounceState } from '../store/members';
import { sendTemplate } from './send';
import type { Action } from './types';

export const bounce: Action = (ctx, { inboundId, msg }) => {
  const at = nowIso(ctx);
  const parsed = parseBounce({
    headers: msg.headers,
    text: msg.text,
    parts: msg.parts,
    to: msg.to.map((a) => a.address),
    bounceAddress: bounceAddress(ctx.config),
  });
  const member = parsed?.verpToken ? findMemberByVerp(ctx.db, parsed.verpToken) : undefined;
  const permanent = parsed?.recipients.filter((r) => r.permanent) ?? [];
  if (!member || member.status !== 'active' || permanent.length === 0) {
    appendAudit(ctx.db, {
      at,
      actor: msg.from.address,
      action: 'bounce.ignored',
      object: `inbound:${inboundId}`,
      messageId: msg.messageId,
      detail: { parsed: parsed !== null, member: member?.address ?? null, permanent: permanent.length },
    });
    return { disposition: 'DROPPED', copies: 0 };
  }
  const { policy } = ctx.config;
  const before = { score: member.bounce_score, lastBounceAt: member.bounce_last_at, lastDay: member.bounce_last_day };
  const { state, unreachable } = scoreBounce(before, ctx.clock(), {
    threshold: policy.bounceThreshold,
    decayDays: policy.bounceDecayDays,
  });
  const newly = unreachable && !member.unreachable_at;
  saveBounceState(ctx.db, member.id, state, unreachable ? at : null);
  appendAudit(ctx.db, {
    at,
    actor: 'daemon',
    action: newly ? 'member.unreachable' : 'member.bounce',
    object: member.address,
    messageId: msg.messageId,
    detail: { score: state.score, status: permanent[0]?.status ?? null, diagnostic: permanent[0]?.diagnostic ?? null },
  });
  const copies = newly
    ? sendTemplate(ctx, inboundId, {
        template: 'moderator.notice.member-unreachable',
        to: ctx.config.list.moderators,
        params: {
          address: member.address,
          organization: member.organization,
          score: state.score,
          threshold: policy.bounceThreshold,
          diagnostic: permanent[0]?.diagnostic ?? permanent[0]?.status ?? '(none given)',
        },
      })
    : 0;
  return { disposition: 'BOUNCE', copies };
};
