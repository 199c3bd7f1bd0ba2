import type { Context } from '../context';
import type { InboundMessage } from '../message/parse';
import type { RequestRow } from '../store/requests';
import type { TokenRow } from '../store/tokens';

/** A keyword that passed all three conditions, with what it acts on. */
export interface CommandInput {
  inboundId: number;
  msg: InboundMessage;
  /** The authenticated moderator. */
  actor: string;
  argument: string | null;
  token: TokenRow;
  /** The request the token belongs to, for request keywords. */
  request: RequestRow | undefined;
}

export interface CommandResult { disposition: string; copies: number }

/** Runs inside the message's transaction, like an action. */
export type Command = (ctx: Context, input: CommandInput) => CommandResult;
