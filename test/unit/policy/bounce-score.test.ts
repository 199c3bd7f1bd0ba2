import assert from 'node:assert/strict';
import {
  DEFAULT_BOUNCE_SETTINGS,
  isStale,
  NO_BOUNCES,
  scoreBounce,
  type BounceState,
} from '../../../src/policy/bounce-score';

const S = DEFAULT_BOUNCE_SETTINGS;

/** Scores a bounce at each time in turn, from no bounces; returns every step. */
function run(times: string[], start: BounceState = NO_BOUNCES): { state: BounceState; unreachable: boolean }[] {
  const steps: { state: BounceState; unreachable: boolean }[] = [];
  let state = start;
  for (const t of times) {
    const step = scoreBounce(state, new Date(t), S);
    steps.push(step);
    state = step.state;
  }
  return steps;
}

describe('policy/bounce-score', () => {
  it('counts a first bounce as one and records its day and time', () => {
    const [step] = run(['2026-03-10T09:30:00.000Z']);
    assert.deepEqual(step, {
      state: { score: 1, lastBounceAt: '2026-03-10T09:30:00.000Z', lastDay: '2026-03-10' },
      unreachable: false,
    });
  });

  it('counts two bounces on the same day once, but remembers the later time', () => {
    const steps = run(['2026-03-10T00:05:00.000Z', '2026-03-10T23:55:00.000Z']);
    assert.deepEqual(steps[1]!.state, { score: 1, lastBounceAt: '2026-03-10T23:55:00.000Z', lastDay: '2026-03-10' });
  });

  it('reaches the threshold of 5 on the fifth consecutive day, not before', () => {
    const steps = run([
      '2026-03-10T09:00:00Z',
      '2026-03-11T09:00:00Z',
      '2026-03-12T09:00:00Z',
      '2026-03-13T09:00:00Z',
      '2026-03-14T09:00:00Z',
    ]);
    assert.deepEqual(
      steps.map((s) => [s.state.score, s.unreachable]),
      [
        [1, false],
        [2, false],
        [3, false],
        [4, false],
        [5, true],
      ],
    );
  });

  it('needs five distinct days however many bounces come on them', () => {
    const times = ['10', '11', '12', '13'].flatMap((d) => [
      `2026-03-${d}T01:00:00Z`,
      `2026-03-${d}T12:00:00Z`,
      `2026-03-${d}T23:00:00Z`,
    ]);
    const steps = run(times);
    assert.equal(steps.at(-1)!.state.score, 4);
    assert.ok(steps.every((s) => !s.unreachable));
  });

  it('counts days by UTC, so 23:59 and 00:01 UTC are two days', () => {
    const steps = run(['2026-03-10T23:59:00Z', '2026-03-11T00:01:00Z']);
    assert.equal(steps[1]!.state.score, 2);
  });

  it('keeps counting after a gap of exactly decayDays', () => {
    const steps = run(['2026-03-01T09:00:00Z', '2026-03-02T09:00:00Z', '2026-03-09T09:00:00Z']);
    assert.deepEqual(
      steps.map((s) => s.state.score),
      [1, 2, 3],
    );
  });

  it('resets the score to one after a gap of more than decayDays', () => {
    const steps = run(['2026-03-01T09:00:00Z', '2026-03-02T09:00:00Z', '2026-03-03T09:00:00Z', '2026-03-11T09:00:00Z']);
    assert.deepEqual(
      steps.map((s) => s.state.score),
      [1, 2, 3, 1],
    );
    assert.equal(steps[3]!.state.lastDay, '2026-03-11');
  });

  it('resets a score that had reached the threshold once the bounces stop for long enough', () => {
    const start: BounceState = { score: 5, lastBounceAt: '2026-01-05T10:00:00.000Z', lastDay: '2026-01-05' };
    const [step] = run(['2026-03-10T09:00:00Z'], start);
    assert.deepEqual(step, {
      state: { score: 1, lastBounceAt: '2026-03-10T09:00:00.000Z', lastDay: '2026-03-10' },
      unreachable: false,
    });
  });

  it('does not count a bounce that arrives late for a day before the last counted one', () => {
    const start: BounceState = { score: 3, lastBounceAt: '2026-03-12T10:00:00.000Z', lastDay: '2026-03-12' };
    const [step] = run(['2026-03-11T08:00:00Z'], start);
    assert.deepEqual(step!.state, start);
  });

  it('honours other settings', () => {
    const s = { threshold: 2.5, decayDays: 1 };
    const a = scoreBounce(NO_BOUNCES, new Date('2026-03-10T09:00:00Z'), s);
    const b = scoreBounce(a.state, new Date('2026-03-11T09:00:00Z'), s);
    const c = scoreBounce(b.state, new Date('2026-03-13T09:00:00Z'), s);
    const d = scoreBounce(c.state, new Date('2026-03-14T09:00:00Z'), s);
    const e = scoreBounce(d.state, new Date('2026-03-15T09:00:00Z'), s);
    assert.deepEqual(
      [a, b, c, d, e].map((x) => [x.state.score, x.unreachable]),
      [
        [1, false],
        [2, false],
        [1, false],
        [2, false],
        [3, true],
      ],
    );
  });

  it('leaves the state it was given unchanged', () => {
    const start: BounceState = { score: 2, lastBounceAt: '2026-03-10T10:00:00.000Z', lastDay: '2026-03-10' };
    const copy = { ...start };
    scoreBounce(start, new Date('2026-03-11T10:00:00Z'), S);
    assert.deepEqual(start, copy);
  });

  it('refuses an invalid date', () => {
    assert.throws(() => scoreBounce(NO_BOUNCES, new Date('not a date'), S), RangeError);
  });

  it('calls a score stale after more than decayDays without a counted bounce', () => {
    const state: BounceState = { score: 4, lastBounceAt: '2026-03-01T10:00:00.000Z', lastDay: '2026-03-01' };
    assert.equal(isStale(state, new Date('2026-03-08T23:00:00Z'), S), false);
    assert.equal(isStale(state, new Date('2026-03-09T00:30:00Z'), S), true);
    assert.equal(isStale(NO_BOUNCES, new Date('2026-03-09T00:30:00Z'), S), false);
  });
});
