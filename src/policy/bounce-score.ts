/**
 * The bounce score of one member, as GNU Mailman keeps it: each permanent bounce adds one, at most
 * once per (UTC) day, so that one bad night of a mail server does not unsubscribe anybody; a bounce
 * after a long quiet spell starts the count again at one. Pure: the caller stores the state and
 * decides what "unreachable" leads to (a notice to the moderators, a probe, a removal).
 */

export interface BounceState {
  score: number;
  lastBounceAt: string | null;
  /** YYYY-MM-DD (UTC) of the last counted bounce */
  lastDay: string | null;
}

export interface BounceSettings {
  /** The score at which a member counts as unreachable (Mailman: 5.0). */
  threshold: number;
  /** A bounce more than this many days after the last counted one resets the score (Mailman: 7). */
  decayDays: number;
}

export const DEFAULT_BOUNCE_SETTINGS: Readonly<BounceSettings> = Object.freeze({ threshold: 5, decayDays: 7 });

export const NO_BOUNCES: Readonly<BounceState> = Object.freeze({ score: 0, lastBounceAt: null, lastDay: null });

const DAY_MS = 86_400_000;

/**
 * Counts one permanent bounce received at `at`. A second bounce on the day of the last counted one
 * (or an older one arriving late) does not count; a bounce more than decayDays after the last
 * counted day resets the score to 1 first. Returns the new state and whether the threshold is reached.
 */
export function scoreBounce(
  state: BounceState,
  at: Date,
  s: BounceSettings,
): { state: BounceState; unreachable: boolean } {
  if (Number.isNaN(at.getTime())) throw new RangeError('scoreBounce needs a valid date');
  const iso = at.toISOString();
  const day = iso.slice(0, 10);
  const lastBounceAt = state.lastBounceAt !== null && state.lastBounceAt > iso ? state.lastBounceAt : iso;
  let next: BounceState;
  if (state.lastDay !== null && day <= state.lastDay) {
    next = { ...state, lastBounceAt };
  } else if (state.lastDay !== null && daysBetween(state.lastDay, day) > s.decayDays) {
    next = { score: 1, lastBounceAt, lastDay: day };
  } else {
    next = { score: state.score + 1, lastBounceAt, lastDay: day };
  }
  return { state: next, unreachable: next.score >= s.threshold };
}

/**
 * Whether a stored score is stale at `now` (no counted bounce for more than decayDays), so that a
 * status page can show it as 0. The next bounce resets it anyway.
 */
export function isStale(state: BounceState, now: Date, s: BounceSettings): boolean {
  return state.lastDay !== null && daysBetween(state.lastDay, now.toISOString().slice(0, 10)) > s.decayDays;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}
