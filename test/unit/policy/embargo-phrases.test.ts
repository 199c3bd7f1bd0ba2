/**
 * Embargo date phrases as security teams really write them (test/fixtures/embargo-phrases/phrases.json):
 * real ones copied from public pre-notifications and advisories (each with its source), and constructed
 * tricky ones. Each phrase is judged as if its mail arrived at its mailDate. Expectations are never
 * weakened to match the reader: a failing case is a form the reader does not handle yet.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findEmbargoEnd } from '../../../src/policy/embargo-date';

const FORMS = [
  'label-crd',
  'label-disclosure-date',
  'label-release-date',
  'label-embargo-ends',
  'sentence-embargoed-until',
  'sentence-public-on',
  'timeline-line',
  'time-without-colon',
  'am-pm',
  'time-in-parentheses',
  'two-zones-agree',
  'two-zones-disagree',
  'back-reference',
  'no-year-mail-date',
  'approximate-around',
  'window-between',
  'two-candidates',
  'no-zone',
  'ambiguous-zone',
  'weekday-contradicts',
  'numeric-day-month',
  'iso-8601',
  'written-english',
] as const;

type Expect = { end: string } | { proposal: string; code: string } | { problem: string };

interface Phrase {
  id: string;
  source: string;
  ref?: string;
  form: string;
  mailDate: string;
  mailDateReal?: boolean;
  maxDays?: number;
  text: string;
  expect: Expect;
  /** Why the expectation is what it is, where that is not plain (e.g. a date the reader does not take for an embargo line). */
  note?: string;
}

/** What the reader said, whatever shape it returns it in. */
interface Outcome {
  end: Date | null;
  code: string | null;
  proposal: Date | null;
}

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'embargo-phrases', 'phrases.json');
const PHRASES = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Phrase[];
const DEFAULT_MAX_DAYS = 90;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const asDate = (v: unknown): Date | null => (v instanceof Date ? v : null);

/**
 * Normalises the reader's answer: today `{ ok: true, end: { end, line } } | { ok: false, problem }`;
 * also accepted, a bare `EmbargoEnd | EmbargoProblem`. A proposal is `problem.proposal.end`.
 */
function outcomeOf(result: unknown): Outcome {
  let value: unknown = result;
  if (isObject(value) && 'ok' in value) value = value.ok ? value.end : value.problem;
  if (!isObject(value)) return { end: null, code: null, proposal: null };
  if (typeof value.code === 'string') {
    const proposal = isObject(value.proposal) ? asDate(value.proposal.end) : null;
    return { end: null, code: value.code, proposal };
  }
  return { end: asDate(value.end), code: null, proposal: null };
}

/** A minimal disclosure around the phrase, read as if the mail arrived at its Date. */
function judge(p: Phrase): Outcome {
  const now = new Date(p.mailDate);
  // Built as a variable, not a literal: `mailDate` is an option the reader gains with issue 13.
  const opts = { now, maxDays: p.maxDays ?? DEFAULT_MAX_DAYS, mailDate: now };
  const text = `Hello,\n\n${p.text}\n\nThe details follow below.\n`;
  return outcomeOf(findEmbargoEnd(text, opts));
}

const shown = (o: Outcome): string =>
  o.end
    ? `end ${o.end.toISOString()}`
    : `${o.code ?? 'nothing'}${o.proposal ? ` proposing ${o.proposal.toISOString()}` : ''}`;

/** Whether the reader's outcome is exactly the expected one. */
function passes(p: Phrase, o: Outcome): boolean {
  const e = p.expect;
  if ('end' in e) return o.end !== null && o.end.toISOString() === e.end;
  if ('proposal' in e) return o.end === null && o.code === e.code && o.proposal?.toISOString() === e.proposal;
  return o.end === null && o.code === e.problem;
}

describe('policy/embargo-date: real phrases (fixture)', () => {
  describe('the fixture itself', () => {
    it('has phrases, and every id is unique', () => {
      assert.ok(PHRASES.length > 0);
      const seen = new Set<string>();
      for (const p of PHRASES) {
        assert.ok(!seen.has(p.id), `duplicate id ${p.id}`);
        seen.add(p.id);
      }
    });

    it('names a known form for every phrase', () => {
      for (const p of PHRASES) assert.ok((FORMS as readonly string[]).includes(p.form), `${p.id}: form ${p.form}`);
    });

    it('cites an https URL for every phrase that is not constructed', () => {
      for (const p of PHRASES) {
        if (p.source === 'constructed') continue;
        assert.match(p.source, /^https:\/\/[^\s/]+\.[^\s/]+\/\S*$/, `${p.id}: source ${p.source}`);
      }
    });

    it('gives a readable mailDate and exactly one kind of expectation', () => {
      for (const p of PHRASES) {
        assert.ok(!Number.isNaN(new Date(p.mailDate).getTime()), `${p.id}: mailDate ${p.mailDate}`);
        const kinds = ['end', 'proposal', 'problem'].filter((k) => k in p.expect);
        assert.equal(kinds.length, 1, `${p.id}: expect ${JSON.stringify(p.expect)}`);
        if ('proposal' in p.expect) assert.equal(p.expect.code, 'EMBARGO_PROPOSED', p.id);
        if ('problem' in p.expect) assert.match(p.expect.problem, /^EMBARGO_[A-Z_]+$/, p.id);
      }
    });

    it('puts every expected end and proposal after the mail Date, as exact UTC instants', () => {
      for (const p of PHRASES) {
        const at = 'end' in p.expect ? p.expect.end : 'proposal' in p.expect ? p.expect.proposal : null;
        if (at === null) continue;
        assert.match(at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, `${p.id}: ${at}`);
        assert.ok(new Date(at).getTime() > new Date(p.mailDate).getTime(), `${p.id}: ${at} is not after ${p.mailDate}`);
      }
    });
  });

  describe('each phrase', () => {
    for (const p of PHRASES) {
      const e = p.expect;
      const what = 'end' in e ? `ends at ${e.end}` : 'proposal' in e ? `proposes ${e.proposal}` : `is ${e.problem}`;
      it(`${p.id} (${p.form}) ${what}`, () => {
        const o = judge(p);
        if ('end' in e) {
          assert.ok(o.end, `expected end ${e.end}, got ${shown(o)}`);
          assert.equal(o.end.toISOString(), e.end);
        } else if ('proposal' in e) {
          assert.equal(o.end, null, `expected no end (a proposal), got ${shown(o)}`);
          assert.equal(o.code, e.code, `expected ${e.code}, got ${shown(o)}`);
          assert.ok(o.proposal, `expected a proposal of ${e.proposal}, got ${shown(o)}`);
          assert.equal(o.proposal.toISOString(), e.proposal);
        } else {
          assert.equal(o.end, null, `expected no end (${e.problem}), got ${shown(o)}`);
          assert.equal(o.code, e.problem, `expected ${e.problem}, got ${shown(o)}`);
        }
      });
    }
  });

  describe('safety over all phrases', () => {
    it('never returns an end other than the expected one (no wrong instant, no guessed one)', () => {
      const wrong = PHRASES.flatMap((p) => {
        const o = judge(p);
        if (!o.end) return [];
        const want = 'end' in p.expect ? p.expect.end : null;
        return o.end.toISOString() === want
          ? []
          : [`${p.id}: ${o.end.toISOString()} (expected ${JSON.stringify(p.expect)})`];
      });
      assert.deepEqual(wrong, []);
    });

    it('prints, per form, how many phrases the reader handles as expected; every form has a phrase', () => {
      const rows = new Map<string, { real: number; constructed: number; pass: number; total: number }>();
      for (const form of FORMS) rows.set(form, { real: 0, constructed: 0, pass: 0, total: 0 });
      for (const p of PHRASES) {
        const row = rows.get(p.form)!;
        row.total += 1;
        if (p.source === 'constructed') row.constructed += 1;
        else row.real += 1;
        if (passes(p, judge(p))) row.pass += 1;
      }
      const lines = [...rows].map(
        ([form, r]) =>
          `${form.padEnd(26)} ${String(r.pass).padStart(4)} / ${String(r.total).padEnd(4)} (real ${r.real}, constructed ${r.constructed})`,
      );
      const pass = [...rows.values()].reduce((n, r) => n + r.pass, 0);
      const real = PHRASES.filter((p) => p.source !== 'constructed');
      const realPass = real.filter((p) => passes(p, judge(p))).length;
      console.log(
        [
          '',
          `embargo phrases: ${pass} / ${PHRASES.length} as expected (real ${realPass} / ${real.length})`,
          `${'form'.padEnd(26)} pass / total`,
          ...lines,
          '',
        ].join('\n'),
      );
      // The corpus covers every form the issue names, and real phrases pass as a whole.
      const empty = [...rows].filter(([, r]) => r.total === 0).map(([form]) => form);
      assert.deepEqual(empty, [], 'every form has at least one phrase');
      assert.equal(realPass, real.length, 'every real phrase is handled as expected');
    });
  });
});
