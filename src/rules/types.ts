import type { InboundMessage } from '../message/parse';

/** What the rules may know of the state: read before classifying, never written by a rule. */
export interface Snapshot {
  listAddress: string;
  requestsAddress: string;
  /** Is the From address an active member? */
  senderIsMember: boolean;
  /** Has a message with this Message-ID already been relayed? */
  alreadyRelayed: boolean;
}

export interface Hit { rule: string; reason: string }

/** One pure check: a name, what it looks for, and a check that returns a reason when it hits. */
export interface Rule {
  name: string;
  description: string;
  check(msg: InboundMessage, snap: Snapshot): string | null;
}
