/**
 * REMOVE <alias> <reason>: a moderator takes a member off the list. In two steps, since a new
 * mail carries no token: the daemon answers with a confirmation carrying one, and the removal
 * happens on the moderator's CONFIRM reply, judged by the same three conditions as any keyword.
 */
import { nowIso, type Context } from '../context';
import { tokenMessageId } from '../mail/compose';
import { isAddress, normalizeAddress } from '../message/address';
import type { InboundMessage } from '../message/parse';
import { appendAudit } from '../store/audit';
import { findMember } from '../store/members';
import { createToken, useToken } from '../store/tokens';
import { removeMemberWithNotice } from '../actions/remove-member';
import { sendTemplate } from '../actions/send';
import { notDone } from './not-done';
import type { Command, CommandResult } from './types';

export function parseRemoveArgument(argument: string | null): { alias: string; reason: string | null } | null {
  const [first, ...rest] = (argument ?? '').trim().split(/\s+/);
  const alias = (first ?? '').replace(/^<|>$/g, '').replace(/^mailto:/i, '');
  if (!isAddress(alias)) return null;
  const reason = rest.join(' ').trim();
  return { alias: normalizeAddress(alias), reason: reason === '' ? null : reason };
}

/** Step one: an authenticated moderator's REMOVE; answered with a confirmation to that moderator. */
export function startRemove(
  ctx: Context,
  input: { inboundId: number; msg: InboundMessage; actor: string; argument: string | null },
): CommandResult {
  const parsed = parseRemoveArgument(input.argument);
  const member = parsed ? findMember(ctx.db, parsed.alias) : undefined;
  if (!parsed || !member || member.status !== 'active') {
    return notDone(
      ctx,
      input,
      parsed
        ? `${parsed.alias} is not an active member`
        : 'REMOVE needs the alias and a reason, e.g. "REMOVE security@example.com stopped meeting criterion 2"',
    );
  }
  const token = createToken(ctx.db, {
    purpose: 'remove',
    subject: parsed.alias,
    detail: { reason: parsed.reason, by: input.actor },
    at: ctx.clock(),
    days: ctx.config.policy.tokenDays,
  });
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: input.actor,
    action: 'member.remove.requested',
    object: parsed.alias,
    messageId: input.msg.messageId,
    detail: { reason: parsed.reason },
  });
  const copies = sendTemplate(ctx, input.inboundId, {
    template: 'moderator.action.confirm-remove',
    to: [input.actor],
    autoSubmitted: 'auto-replied',
    messageId: tokenMessageId(ctx.config, token, 'rm'),
    inReplyTo: input.msg.messageId,
    params: {
      token,
      alias: parsed.alias,
      organization: member.organization,
      reason: parsed.reason ?? '(no reason given)',
    },
  });
  return { disposition: 'REMOVE_PENDING', copies };
}

/** Step two: CONFIRM in reply to the confirmation. */
export const confirmRemove: Command = (ctx, input) => {
  const alias = input.token.subject!;
  const detail = JSON.parse(input.token.detail ?? '{}') as { reason?: string | null };
  useToken(ctx.db, input.token.token, input.actor, nowIso(ctx));
  const copies = removeMemberWithNotice(
    ctx,
    input.inboundId,
    alias,
    input.actor,
    'removed',
    detail.reason ?? null,
    input.msg?.messageId ?? null,
  );
  if (copies < 0) {
    return notDone(ctx, input, `${alias} is no longer an active member`, { code: 'MEMBER_NOT_ACTIVE' });
  }
  return { disposition: 'REMOVED', copies };
};
