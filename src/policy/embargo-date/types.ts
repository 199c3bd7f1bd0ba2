/** The shapes the embargo reader hands back, and what it needs from its caller. */

export interface EmbargoEnd {
  end: Date;
  line: string;
}

export type EmbargoProblem =
  | { code: 'EMBARGO_MISSING'; message: string }
  | { code: 'EMBARGO_UNREADABLE'; message: string; line: string }
  | { code: 'EMBARGO_PAST'; message: string; end: Date }
  | { code: 'EMBARGO_TOO_FAR'; message: string; end: Date; maxDays: number }
  | { code: 'EMBARGO_AMBIGUOUS'; message: string; lines: string[] };

export interface EmbargoOptions {
  now: Date;
  maxDays: number;
}
