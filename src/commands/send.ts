/**
 * SEND / EMBARGO <end> in reply to a returned post: the moderator opens the disclosure anyway,
 * as it is or with the end given. The post's bytes are the ones recorded when it came in (decrypted,
 * when it came encrypted to the list's key: inbound.opened_raw).
 */
import { nowIso } from '../context';
import { openDisclosure, type HeldOpening } from '../actions/open-disclosure';
import { parseEmbargoDate } from '../policy/embargo-date';
import { clearOpened, getInbound, relayableRaw } from '../store/inbound';
import { useToken } from '../store/tokens';
import { notDone } from './not-done';
import type { Command, CommandInput, CommandResult } from './types';
import type { Context } from '../context';

function open(ctx: Context, input: CommandInput, held: HeldOpening, end: Date | null): CommandResult {
  // The decrypted message when it came encrypted to the list's key; the copy is dropped once opened.
  const raw = relayableRaw(getInbound(ctx.db, held.inboundId)!);
  useToken(ctx.db, input.token.token, input.actor, nowIso(ctx));
  clearOpened(ctx.db, held.inboundId);
  const { copies } = openDisclosure(ctx, {
    inboundId: held.inboundId,
    raw,
    subject: held.subject,
    messageId: held.messageId,
    openedBy: input.actor,
    end,
    upstream: held.upstream,
  });
  return { disposition: 'DISCLOSED', copies };
}

export const sendAsIs: Command = (ctx, input) => {
  const held = JSON.parse(input.token.detail!) as HeldOpening;
  if (held.problem === 'EMBARGO_PAST')
    return notDone(ctx, input, 'the embargo end it gives is in the past; reply with EMBARGO <end> instead', {
      code: 'EMBARGO_PAST',
    });
  return open(ctx, input, held, held.end ? new Date(held.end) : null);
};

export const sendWithEnd: Command = (ctx, input) => {
  const held = JSON.parse(input.token.detail!) as HeldOpening;
  const parsed = parseEmbargoDate(input.argument ?? '', {
    now: ctx.clock(),
    maxDays: ctx.config.policy.maxEmbargoDays,
  });
  if (!parsed.ok) return notDone(ctx, input, parsed.problem.message.replace(/\.$/, ''), { code: parsed.problem.code });
  return open(ctx, input, held, parsed.end);
};
