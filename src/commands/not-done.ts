import { sendTemplate } from '../actions/send';
import type { Context } from '../context';
import type { CommandResult } from './types';

/**
 * A keyword that passed the three conditions but cannot be carried out (no alias, no argument,
 * already public...): nothing changes, and the moderator who sent it is told why: by mail when
 * the keyword came by mail, in the result (why, code) when it was done on the server.
 */
export function notDone(
  ctx: Context,
  input: { inboundId: number | null; actor: string; msg: { messageId: string | null } | null },
  why: string,
  opts: { id?: number | null; disposition?: string; code?: string } = {},
): CommandResult {
  const refused = { disposition: opts.disposition ?? 'REFUSED', why, code: opts.code ?? 'NOT_DONE' };
  if (!input.msg) return { ...refused, copies: 0 };
  return {
    ...refused,
    copies: sendTemplate(ctx, input.inboundId, {
      template: 'moderator.notice.cannot-approve',
      to: [input.actor],
      autoSubmitted: 'auto-replied',
      inReplyTo: input.msg.messageId,
      params: { id: opts.id ?? null, why },
    }),
  };
}
