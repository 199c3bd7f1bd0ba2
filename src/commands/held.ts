/** APPROVE, REJECT <reason> and DISCARD in reply to a held message's mail. */
import { useToken } from '../store/tokens';
import { approveHeld, discardHeld, rejectHeld, type HeldResult } from '../actions/held-decision';
import { nowIso, type Context } from '../context';
import { notDone } from './not-done';
import type { Command, CommandInput, CommandResult } from './types';

function answer(ctx: Context, input: CommandInput, r: HeldResult, disposition: string): CommandResult {
  if (r.ok) {
    useToken(ctx.db, input.token.token, input.actor, nowIso(ctx));
    return { disposition, copies: r.copies };
  }
  return notDone(ctx, input, r.why ?? 'not done', { code: r.code });
}

const idOf = (input: CommandInput): number => Number(input.token.subject);

export const approveHeldPost: Command = (ctx, input) =>
  answer(ctx, input, approveHeld(ctx, idOf(input), input.actor), 'APPROVED');
export const rejectHeldPost: Command = (ctx, input) =>
  answer(
    ctx,
    input,
    rejectHeld(ctx, idOf(input), input.actor, input.argument ?? 'The moderators did not give a reason.'),
    'REJECTED',
  );
export const discardHeldPost: Command = (ctx, input) =>
  answer(ctx, input, discardHeld(ctx, idOf(input), input.actor), 'DISCARDED');
