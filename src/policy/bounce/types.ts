/** What a bounce reader is given and what it gives back. */
import type { MimePart } from '../../message/mime-parts';

export interface BounceRecipient {
  address: string | null;
  status: string | null;
  action: string | null;
  diagnostic: string | null;
  permanent: boolean;
}

export interface ParsedBounce {
  kind: 'dsn' | 'heuristic';
  recipients: BounceRecipient[];
  /** the VERP token from the envelope/To address, e.g. list-bounces+TOKEN@domain */
  verpToken: string | null;
}

export interface BounceInput {
  /** Lower-case header name -> every value, unfolded (InboundMessage.headers). */
  headers: Map<string, string[]>;
  /** The message's text as mailparser gives it; used when the message has no text/plain part. */
  text: string;
  /** The MIME leaves outside any returned message (InboundMessage.parts). */
  parts: MimePart[];
  /** The To addresses (InboundMessage.to). */
  to: string[];
  /** The list's bounce address: when given, only list-bounces+TOKEN@domain yields a token. */
  bounceAddress?: string;
}

/** A recipient a non-standard notice names, before it becomes a BounceRecipient. */
export interface Found {
  address: string;
  diagnostic: string | null;
  delayed: boolean;
}

/** One MTA's wording (flufl.bounce's detectors): a test of the notice's text, and its reader. */
export interface NoticeDetector {
  name: string;
  detect: RegExp;
  read(text: string): Found[];
}

/** A report naming more recipients than this is read up to here (we send one envelope per recipient). */
export const MAX_RECIPIENTS = 100;
