import type { Decision } from '../chains/inbound';
import type { Context } from '../context';
import type { InboundMessage } from '../message/parse';
import type { Snapshot } from '../rules/types';

export interface ActInput {
  inboundId: number;
  msg: InboundMessage;
  decision: Decision;
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
