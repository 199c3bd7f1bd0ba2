/** The shapes the embargo reader hands back, and what it needs from its caller. */

export interface EmbargoEnd {
  end: Date;
  line: string;
}

/** A reading the daemon would use but does not act on: a person confirms it first (EMBARGO <end>). */
export interface EmbargoProposal {
  end: Date;
  /** The line it was read from, as written. */
  line: string;
  /** Why it is a proposal and not an end: a clause, in words ("gives an approximate time ..."). */
  why: string;
}

export type EmbargoProblem =
  | { code: 'EMBARGO_MISSING'; message: string }
  | { code: 'EMBARGO_UNREADABLE'; message: string; line: string }
  | { code: 'EMBARGO_PAST'; message: string; end: Date }
  | { code: 'EMBARGO_TOO_FAR'; message: string; end: Date; maxDays: number }
  | { code: 'EMBARGO_AMBIGUOUS'; message: string; lines: string[] }
  | { code: 'EMBARGO_PROPOSED'; message: string; proposal: EmbargoProposal };

export interface EmbargoOptions {
  now: Date;
  maxDays: number;
  /** The mail's own Date: a date written without a year is proposed as the first such instant after it. */
  mailDate?: Date | null;
}

/** Which summer-time rule a zone abbreviation follows (./summer-time). */
export type Rule = 'EU' | 'US';

/** A zone abbreviation: its fixed offset in minutes, and when it is in force (./zones). */
export interface Zone {
  offset: number;
  rule?: Rule;
  summer?: boolean;
  region?: string;
  other?: string;
}
