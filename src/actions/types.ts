import type { Decision, Outcome } from '../chains/inbound';
import type { Context } from '../context';
import type { InboundMessage } from '../message/parse';
import type { TokenPurpose } from '../message/tokens';
import type { Snapshot } from '../rules/types';
import type { RequestRow } from '../store/requests';
import type { TokenRow } from '../store/tokens';

/** The decision of one outcome, with the evidence that outcome carries. */
export type DecisionOf<O extends Outcome> = Extract<Decision, { outcome: O }>;

export interface ActInput<D extends Decision = Decision> {
  inboundId: number;
  msg: InboundMessage;
  decision: D;
  snap: Snapshot;
  receivedAt: string;
}

/** What an action did, for the one log line per message. */
export interface ActResult {
  /** RELAYED, DROPPED, HELD, ... */
  disposition: string;
  /** Copies put in the outbox. */
  copies: number;
}

/** act: runs inside the message's transaction; writes state and outbox rows, never the network. */
export type Action = (ctx: Context, input: ActInput) => ActResult;

/** The action of one outcome, handed that outcome's decision and the evidence it carries. */
export type ActionOf<O extends Outcome> = (ctx: Context, input: ActInput<DecisionOf<O>>) => ActResult;

/** One action per outcome. */
export type ActionTable = { [O in Outcome]: ActionOf<O> };

/**
 * A keyword that passed all three conditions, with what it acts on. The same keyword done on the
 * server (admin/moderator-action: CLI, console) has no mail: inboundId and msg are null, and a
 * refusal is returned (why, code) instead of mailed to the actor.
 */
export interface CommandInput {
  /** The mail that carried the keyword; null on the server. */
  inboundId: number | null;
  msg: Pick<InboundMessage, 'messageId'> | null;
  /** The authenticated moderator (on the server: cli:<user>, or the console's moderator). */
  actor: string;
  argument: string | null;
  token: TokenRow;
  /** The request the token belongs to, for request keywords. */
  request: RequestRow | undefined;
}

export interface CommandResult {
  disposition: string;
  copies: number;
  /** Set when nothing was done: why, in a sentence, and a stable code. */
  why?: string;
  code?: string;
}

/** Runs inside the message's transaction, like an action. */
export type Command = (ctx: Context, input: CommandInput) => CommandResult;

/**
 * The moderators' keywords (commands/), handed to the moderator-command action by whoever puts
 * the actions together (runners/pipeline), so that actions/ never imports commands/.
 */
export interface Keywords {
  /** Which keywords act on which kind of token, and what they do. */
  commands: ReadonlyMap<TokenPurpose, ReadonlyMap<string, Command>>;
  /** REMOVE <alias> <reason>: step one, which carries no token. */
  startRemove(
    ctx: Context,
    input: { inboundId: number; msg: InboundMessage; actor: string; argument: string | null },
  ): CommandResult;
}
