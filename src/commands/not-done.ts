import { sendTemplate } from '../actions/send';
import type { Context } from '../context';
import type { CommandResult } from './types';

/**
 * A keyword that passed the three conditions but cannot be carried out (no alias, no argument,
 * already public...): nothing changes, and the moderator who sent it is told why.
 */
export function notDone(
  ctx: Context,
  input: { inboundId: number; actor: string; msg: { messageId: string | null } },
  why: string,
  opts: { id?: number | null; disposition?: string } = {},
): CommandResult {
  return {
    disposition: opts.disposition ?? 'REFUSED',
    copies: sendTemplate(ctx, input.inboundId, {
      template: 'moderator.notice.cannot-approve',
      to: [input.actor],
      autoSubmitted: 'auto-replied',
      inReplyTo: input.msg.messageId,
      params: { id: opts.id ?? null, why },
    }),
  };
}
