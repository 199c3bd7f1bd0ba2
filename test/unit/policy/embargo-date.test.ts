import assert from 'node:assert/strict';
import {
  findEmbargoEnd,
  formatUtc,
  isUpstreamNotice,
  parseEmbargoDate,
  type EmbargoOptions,
  type EmbargoProblem,
} from '../../../src/policy/embargo-date';

const NOW = new Date('2026-11-25T12:00:00Z');
const OPTS = { now: NOW, maxDays: 90 };
const MINUTE = 60_000;
const DAY = 86_400_000;

function endOf(text: string, opts: EmbargoOptions = OPTS): string {
  const r = findEmbargoEnd(text, opts);
  assert.ok(r.ok, `expected an end in ${JSON.stringify(text)}, got ${r.ok ? '' : JSON.stringify(r.problem)}`);
  return r.end.end.toISOString();
}

function problemOf(text: string, opts: EmbargoOptions = OPTS): EmbargoProblem {
  const r = findEmbargoEnd(text, opts);
  assert.ok(!r.ok, `expected a problem in ${JSON.stringify(text)}, got ${r.ok ? r.end.end.toISOString() : ''}`);
  return r.problem;
}

function dateOf(text: string, opts = OPTS): string {
  const r = parseEmbargoDate(text, opts);
  assert.ok(r.ok, `expected a date in ${JSON.stringify(text)}, got ${r.ok ? '' : JSON.stringify(r.problem)}`);
  return r.end.toISOString();
}

function dateProblem(text: string, opts = OPTS): EmbargoProblem {
  const r = parseEmbargoDate(text, opts);
  assert.ok(!r.ok, `expected a problem in ${JSON.stringify(text)}, got ${r.ok ? r.end.toISOString() : ''}`);
  return r.problem;
}

type Proposed = Extract<EmbargoProblem, { code: 'EMBARGO_PROPOSED' }>;

function proposalOf(text: string, opts: EmbargoOptions = OPTS): Proposed {
  const p = problemOf(text, opts);
  assert.equal(p.code, 'EMBARGO_PROPOSED', JSON.stringify(p));
  return p as Proposed;
}

const unreadable = (p: EmbargoProblem): Extract<EmbargoProblem, { code: 'EMBARGO_UNREADABLE' }> => {
  assert.equal(p.code, 'EMBARGO_UNREADABLE', JSON.stringify(p));
  return p as Extract<EmbargoProblem, { code: 'EMBARGO_UNREADABLE' }>;
};

describe('policy/embargo-date', () => {
  describe('findEmbargoEnd: the labels it reads', () => {
    const cases: [string, string][] = [
      ['Embargo: 2026-12-03 16:00 UTC', 'a plain "Embargo:" line'],
      ['Embargo until: 2026-12-03 16:00 UTC', '"Embargo until:"'],
      ['Embargoed until 2026-12-03 16:00 UTC', '"Embargoed until" without a colon'],
      ['Embargoed until: 2026-12-03 16:00 UTC', '"Embargoed until:" with a colon'],
      ['Embargo end: 2026-12-03 16:00 UTC', '"Embargo end:"'],
      ['Public disclosure: 2026-12-03 16:00 UTC', '"Public disclosure:"'],
      ['Public disclosure date: 2026-12-03 16:00 UTC', '"Public disclosure date:"'],
      ['Disclosure date: 2026-12-03 16:00 UTC', '"Disclosure date:"'],
      ['EMBARGO: 2026-12-03 16:00 UTC', 'an upper-case label'],
      ['embargo: 2026-12-03 16:00 utc', 'a lower-case label and zone'],
      ['**Embargo:** 2026-12-03 16:00 UTC', 'Markdown bold around the label and colon'],
      ['**Embargo**: **2026-12-03 16:00 UTC**', 'Markdown bold around the label and the value'],
      ['- Embargo: 2026-12-03 16:00 UTC', 'a list bullet'],
      ['## Embargo: 2026-12-03 16:00 UTC', 'a Markdown heading'],
      ['   Embargo:   2026-12-03 16:00 UTC  ', 'surrounding spaces'],
      [
        'This issue is embargoed until Thursday, December 3rd 2026 at 16:00 UTC, please keep it private.',
        '"embargoed until" in the middle of a sentence',
      ],
    ];
    for (const [line, what] of cases) {
      it(`reads ${what}`, () => {
        assert.equal(endOf(`Hello list,\n\n${line}\n\nDetails follow.`), '2026-12-03T16:00:00.000Z');
      });
    }

    it('returns the line the end was read from, as written', () => {
      const r = findEmbargoEnd('Hi\n**Embargo:** 2026-12-03 16:00 UTC\n', OPTS);
      assert.ok(r.ok);
      assert.equal(r.end.line, '**Embargo:** 2026-12-03 16:00 UTC');
    });

    it('does not take a heading or prose that only mentions the embargo for an embargo line', () => {
      const p = problemOf('## Embargo policy\nPlease respect the embargo.\nThe embargo lasts two weeks.');
      assert.equal(p.code, 'EMBARGO_MISSING');
    });
  });

  describe('findEmbargoEnd: the date forms it reads', () => {
    const cases: [string, string][] = [
      ['2026-12-03T16:00:00Z', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03T16:00Z', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03 16:00Z', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03 16:00 UTC', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03 16:00 GMT', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03 16:00 (UTC)', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03 at 16:00 UTC', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03T16:00+01:00', '2026-12-03T15:00:00.000Z'],
      ['2026-12-03 16:00 +0100', '2026-12-03T15:00:00.000Z'],
      ['2026-12-03 16:00 -05:00', '2026-12-03T21:00:00.000Z'],
      ['2026-12-03 16:00 UTC+2', '2026-12-03T14:00:00.000Z'],
      ['2026-12-03 16:00 UTC+05:30', '2026-12-03T10:30:00.000Z'],
      ['2026-12-03 04:00 pm UTC', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03T16:00:30.250Z', '2026-12-03T16:00:30.250Z'],
      ['2026/12/03 16:00 UTC', '2026-12-03T16:00:00.000Z'],
      ['3 December 2026 16:00 UTC', '2026-12-03T16:00:00.000Z'],
      ['Dec 3, 2026 4pm UTC', '2026-12-03T16:00:00.000Z'],
      ['December 3, 2026, 16:00 UTC', '2026-12-03T16:00:00.000Z'],
      ['Thursday, December 3rd 2026 at 16:00 UTC', '2026-12-03T16:00:00.000Z'],
      ['3rd of December 2026 at 4:00 p.m. UTC', '2026-12-03T16:00:00.000Z'],
      ['16:00 UTC on 3 December 2026', '2026-12-03T16:00:00.000Z'],
      ['Thu, 03 Dec 2026 16:00:00 +0000', '2026-12-03T16:00:00.000Z'],
      ['3 Dec 2026 16:00 -05:00', '2026-12-03T21:00:00.000Z'],
      ['Dec 3 2026 16:00 GMT+1', '2026-12-03T15:00:00.000Z'],
      ['2026-12-03 16:00 PST', '2026-12-04T00:00:00.000Z'],
      ['Dec 3, 2026 11:00 EST', '2026-12-03T16:00:00.000Z'],
      ['2026-12-03 16:00 JST', '2026-12-03T07:00:00.000Z'],
    ];
    for (const [value, iso] of cases) {
      it(`reads "${value}" as ${iso}`, () => {
        assert.equal(endOf(`Embargo: ${value}`), iso);
      });
    }

    it('accepts the same end written twice in two zones on one line', () => {
      assert.equal(endOf('Embargo: 2026-12-03 16:00 UTC (17:00 CET)'), '2026-12-03T16:00:00.000Z');
      assert.equal(endOf('Embargo: 2026-12-03 16:00 UTC / 2026-12-03 17:00 CET'), '2026-12-03T16:00:00.000Z');
    });

    it('accepts a weekday in brackets beside the date', () => {
      assert.equal(endOf('Embargo: 2026-12-03 16:00 UTC (Thursday)'), '2026-12-03T16:00:00.000Z');
    });
  });

  describe('findEmbargoEnd: what it refuses as unreadable', () => {
    it('refuses a date and time without a time zone, asking for one', () => {
      const p = unreadable(problemOf('Embargo: 2026-12-03 16:00'));
      assert.equal(p.line, 'Embargo: 2026-12-03 16:00');
      assert.match(p.message, /no time zone; say the time zone, e\.g\. "2026-12-03 16:00 UTC"/);
      unreadable(problemOf('Embargo: Dec 3 2026 4pm'));
    });

    it('refuses a date without a time, asking for a time and a zone', () => {
      for (const value of ['2026-12-03', '3 December 2026', 'Thursday, December 3rd 2026']) {
        assert.match(unreadable(problemOf(`Embargo: ${value}`)).message, /no time; add a time and a time zone/, value);
      }
    });

    it('refuses numeric day/month dates, asking for ISO 8601', () => {
      for (const value of [
        '12/03/2026 16:00 UTC',
        '03/12/2026 16:00 UTC',
        '3.12.2026 16:00 UTC',
        '03-12-2026 16:00 UTC',
        '12/13/2026 16:00 UTC',
        '12/03 16:00 UTC',
        '12/03/26 16:00 UTC',
      ]) {
        const p = unreadable(problemOf(`Embargo: ${value}`));
        assert.match(p.message, /read differently \(day\/month or month\/day\); write it in ISO 8601/, value);
      }
    });

    it('refuses "Embargo: none" and other placeholders', () => {
      for (const value of ['none', 'None yet', 'TBD', 'n/a', '-']) {
        const p = unreadable(problemOf(`Embargo: ${value}`));
        assert.match(p.message, /gives no date/, value);
      }
    });

    it('refuses an empty embargo line, asking for the end on the same line, unless the next line is only a date', () => {
      assert.match(unreadable(problemOf('Embargo:\n\n2026-12-03 16:00 UTC')).message, /on the same line/);
      assert.match(unreadable(problemOf('Embargo:\n- distros: 2026-12-01 16:00 UTC')).message, /on the same line/);
      assert.equal(endOf('Embargo:\n   2026-12-03 16:00 UTC'), '2026-12-03T16:00:00.000Z');
    });

    it('proposes the later of two dates on one line, never reads it', () => {
      for (const value of [
        '2026-12-03 16:00 UTC or 2026-12-04 16:00 UTC',
        '2026-12-04 16:00 UTC (moved from 2026-11-30)',
        '2026-12-04 16:00 UTC, possibly 2026-12-03 16:00 UTC',
      ]) {
        const p = proposalOf(`Embargo: ${value}`);
        assert.equal(p.proposal.end.toISOString(), '2026-12-04T16:00:00.000Z', value);
        assert.match(p.proposal.why, /names more than one date .*the later is the safe reading/, value);
      }
    });

    it('refuses two dates on one line when the later has no time', () => {
      assert.match(
        unreadable(problemOf('Embargo: 2026-12-03 16:00 UTC or 2026-12-04')).message,
        /names more than one date/,
      );
    });

    it('refuses a date without a year and relative dates', () => {
      assert.match(unreadable(problemOf('Embargo: December 3rd at 16:00 UTC')).message, /without a year/);
      assert.match(unreadable(problemOf('Embargo: tomorrow 16:00 UTC')).message, /no full date/);
      assert.match(unreadable(problemOf('Embargo: in 5 days')).message, /relative/);
      assert.match(
        unreadable(problemOf('Embargo: Thursday 16:00 UTC')).message,
        /no full date|no date that can be read/,
      );
    });

    it('refuses a weekday that does not match the date', () => {
      const p = unreadable(problemOf('Embargo: Friday, December 3rd 2026 at 16:00 UTC'));
      assert.match(p.message, /says Friday, but 2026-12-03 is a Thursday/);
    });

    it('refuses dates and times that do not exist', () => {
      for (const value of [
        '2026-02-30 16:00 UTC',
        '2026-12-03 25:00 UTC',
        '2026-12-03 16:61 UTC',
        '2026-12-03 13:00 pm UTC',
      ]) {
        assert.match(unreadable(problemOf(`Embargo: ${value}`)).message, /not a real date and time/, value);
      }
    });

    it('refuses ambiguous, moving, unknown and IANA zone names', () => {
      for (const zone of ['CST', 'IST', 'BST', 'ET', 'PT', 'XYZ', 'Europe/Berlin', '+15:00']) {
        const p = unreadable(problemOf(`Embargo: 2026-12-03 16:00 ${zone}`));
        assert.match(
          p.message,
          new RegExp(`time zone "${zone.replace('+', '\\+')}", which is ambiguous or not known here`),
          zone,
        );
      }
      assert.match(unreadable(problemOf('Embargo: Dec 3, 2026 16:00 CST')).message, /"CST"/);
      assert.match(unreadable(problemOf('Embargo: Dec 3, 2026 16:00 Europe/Berlin')).message, /"Europe\/Berlin"/);
    });

    it('refuses a line it cannot read at all', () => {
      assert.match(unreadable(problemOf('Embargo: until the fix ships')).message, /holds no date that can be read/);
    });

    it('reports an unreadable line even when another line can be read', () => {
      const p = unreadable(problemOf('Embargo: 2026-12-03 16:00 UTC\nDisclosure date: soon'));
      assert.equal(p.line, 'Disclosure date: soon');
    });

    it('writes one sentence that quotes what it read and shows an example end', () => {
      const p = unreadable(problemOf('Embargo: 2026-12-03'));
      assert.match(
        p.message,
        /^The embargo line "Embargo: 2026-12-03" gives a date but no time; .*, e\.g\. "2026-12-03 16:00 UTC"\.$/,
      );
      assert.doesNotMatch(p.message, /\n/);
    });
  });

  describe('findEmbargoEnd: missing, ambiguous, past and too far', () => {
    it('reports a text without an embargo line as missing', () => {
      const p = problemOf('Hello,\nhere is the advisory.\n');
      assert.equal(p.code, 'EMBARGO_MISSING');
      assert.match(p.message, /no embargo line; add one such as "Embargo: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"\.$/);
      assert.equal(problemOf('').code, 'EMBARGO_MISSING');
    });

    it('never opens on two lines with different ends: proposes the later, naming both, whichever comes first', () => {
      for (const text of [
        'Embargo: 2026-12-03 16:00 UTC\nblah\nPublic disclosure: 2026-12-04 16:00 UTC',
        'Public disclosure: 2026-12-04 16:00 UTC\nblah\nEmbargo: 2026-12-03 16:00 UTC',
      ]) {
        const p = problemOf(text);
        assert.ok(p.code === 'EMBARGO_PROPOSED', p.code);
        assert.equal(p.proposal.end.toISOString(), '2026-12-04T16:00:00.000Z');
        assert.equal(p.proposal.line, 'Public disclosure: 2026-12-04 16:00 UTC');
        assert.match(p.proposal.why, /later of 2 different embargo ends/);
        assert.match(p.message, /"Embargo: 2026-12-03 16:00 UTC"/);
      }
    });

    it('refuses two lines with different ends when one of them cannot be read (fail closed)', () => {
      assert.equal(
        problemOf('Embargo: 2026-12-03 16:00 UTC\nPublic disclosure: 2026-12-04 16:00 XYZ').code,
        'EMBARGO_UNREADABLE',
      );
    });

    it('accepts two lines that give the same end in different forms', () => {
      const text = 'Embargo: 2026-12-03 16:00 UTC\nPublic disclosure date: Thursday, December 3rd 2026 at 17:00 CET';
      assert.equal(endOf(text), '2026-12-03T16:00:00.000Z');
    });

    it('counts the same line written twice once', () => {
      assert.equal(endOf('Embargo: 2026-12-03 16:00 UTC\n\nEmbargo: 2026-12-03 16:00 UTC'), '2026-12-03T16:00:00.000Z');
    });

    it('reports many different embargo lines as ambiguous without reading each', () => {
      const text = Array.from(
        { length: 30 },
        (_, i) => `Embargo: 2026-12-${String(i + 1).padStart(2, '0')} 16:00 UTC`,
      ).join('\n');
      assert.equal(problemOf(text).code, 'EMBARGO_AMBIGUOUS');
    });

    it('reports an end in the past, naming it and asking for a future date', () => {
      const p = problemOf('Embargo: 2026-11-20 16:00 UTC');
      assert.equal(p.code, 'EMBARGO_PAST');
      assert.ok(p.code === 'EMBARGO_PAST');
      assert.equal(p.end.toISOString(), '2026-11-20T16:00:00.000Z');
      assert.equal(
        p.message,
        'The embargo end "2026-11-20 16:00 UTC" is in the past; give a future date such as "Embargo: 2026-12-02 12:00 UTC".',
      );
    });

    it('reports an end equal to now as past', () => {
      assert.equal(problemOf('Embargo: 2026-11-25 12:00 UTC').code, 'EMBARGO_PAST');
    });

    it('accepts an end one minute from now', () => {
      assert.equal(endOf('Embargo: 2026-11-25 12:01 UTC'), '2026-11-25T12:01:00.000Z');
    });

    it('accepts an end exactly maxDays from now', () => {
      const end = new Date(NOW.getTime() + 90 * DAY);
      assert.equal(endOf(`Embargo: ${formatUtc(end)}`), end.toISOString());
    });

    it('reports an end maxDays and one minute from now as too far', () => {
      const end = new Date(NOW.getTime() + 90 * DAY + MINUTE);
      const p = problemOf(`Embargo: ${formatUtc(end)}`);
      assert.equal(p.code, 'EMBARGO_TOO_FAR');
      assert.ok(p.code === 'EMBARGO_TOO_FAR');
      assert.equal(p.maxDays, 90);
      assert.equal(
        p.message,
        'The embargo end "2027-02-23 12:01 UTC" is more than 90 days away; give an end no later than "2027-02-23 12:00 UTC".',
      );
    });

    it('reports the year 9999 as too far', () => {
      const p = problemOf('Embargo: 9999-12-31 23:59 UTC');
      assert.equal(p.code, 'EMBARGO_TOO_FAR');
      assert.ok(p.code === 'EMBARGO_TOO_FAR');
      assert.equal(p.end.toISOString(), '9999-12-31T23:59:00.000Z');
    });
  });

  describe('findEmbargoEnd: where the line sits', () => {
    it('ignores quoted lines', () => {
      assert.equal(
        problemOf('> Embargo: 2026-12-03 16:00 UTC\n>> Embargo: 2026-12-04 16:00 UTC\nThanks!').code,
        'EMBARGO_MISSING',
      );
      assert.equal(endOf('> Embargo: 2026-11-01 16:00 UTC\nEmbargo: 2026-12-03 16:00 UTC'), '2026-12-03T16:00:00.000Z');
      assert.equal(
        endOf('   > Embargo: 2026-11-01 16:00 UTC\nEmbargo: 2026-12-03 16:00 UTC'),
        '2026-12-03T16:00:00.000Z',
      );
    });

    it('counts an embargo line in a signature-like footer', () => {
      const text =
        'Please find the advisory attached.\n\n-- \nAcme Product Security\nEmbargo: 2026-12-03 16:00 UTC\nhttps://security.acme.example\n';
      assert.equal(endOf(text), '2026-12-03T16:00:00.000Z');
    });

    it('reads CRLF, bare CR and LF line ends alike', () => {
      assert.equal(endOf('Hello\r\nEmbargo: 2026-12-03 16:00 UTC\r\nBye\r\n'), '2026-12-03T16:00:00.000Z');
      assert.equal(endOf('Hello\rEmbargo: 2026-12-03 16:00 UTC\rBye'), '2026-12-03T16:00:00.000Z');
      const r = findEmbargoEnd('Hello\r\nEmbargo: 2026-12-03 16:00 UTC\r\n', OPTS);
      assert.ok(r.ok);
      assert.equal(r.end.line, 'Embargo: 2026-12-03 16:00 UTC');
    });

    it('finds the line at the end of a 200 KB body', () => {
      const filler = 'The quick brown fox jumps over the lazy dog, on 12 Dec at 4pm.\n'.repeat(3300);
      assert.ok(filler.length > 200_000);
      assert.equal(endOf(`${filler}Embargo: 2026-12-03 16:00 UTC\n`), '2026-12-03T16:00:00.000Z');
    });

    it('refuses a 200 KB embargo line, quoting it shortened', () => {
      const p = unreadable(problemOf(`Embargo: ${'x'.repeat(200_000)} 2026-12-03 16:00 UTC`));
      assert.ok(p.line.length <= 200);
      assert.ok(p.message.length < 600);
    });

    it('quotes a line with control characters without them', () => {
      const p = unreadable(problemOf('Embargo: \u0007none\u0000'));
      // eslint-disable-next-line no-control-regex -- control characters are what must not be there
      assert.doesNotMatch(p.message, /[\u0000-\u001f]/);
    });
  });

  describe('findEmbargoEnd: summer time', () => {
    const SUMMER = { now: new Date('2026-03-01T00:00:00Z'), maxDays: 300 };

    it('reads +02:00 and CEST on a summer date as the same instant', () => {
      assert.equal(endOf('Embargo: 2026-07-03 16:00 +02:00', SUMMER), '2026-07-03T14:00:00.000Z');
      assert.equal(endOf('Embargo: 2026-07-03 16:00 CEST', SUMMER), '2026-07-03T14:00:00.000Z');
    });

    it('reads CET on a winter date as +01:00', () => {
      assert.equal(endOf('Embargo: 2026-12-03 16:00 CET', SUMMER), '2026-12-03T15:00:00.000Z');
      assert.equal(endOf('Embargo: 3 December 2026 16:00 CET', SUMMER), '2026-12-03T15:00:00.000Z');
    });

    it('refuses CET on a summer date and CEST on a winter date, naming the right offset', () => {
      assert.match(
        unreadable(problemOf('Embargo: 2026-07-03 16:00 CET', SUMMER)).message,
        /says CET, but Central Europe is on summer time then \(\+02:00\); write CEST or the offset, e\.g\. "2026-07-03 16:00 \+02:00"/,
      );
      assert.match(
        unreadable(problemOf('Embargo: Dec 3, 2026 16:00 CEST', SUMMER)).message,
        /says CEST, but Central Europe is on standard time then \(\+01:00\)/,
      );
      assert.match(
        unreadable(problemOf('Embargo: 2026-07-04 12:00 EST', SUMMER)).message,
        /says EST, but US Eastern is on summer time then \(-04:00\)/,
      );
    });

    it('follows the European switch on the last Sunday of October at 01:00 UTC', () => {
      assert.equal(endOf('Embargo: 2026-10-25 02:30 CEST', SUMMER), '2026-10-25T00:30:00.000Z');
      assert.equal(endOf('Embargo: 2026-10-25 02:30 CET', SUMMER), '2026-10-25T01:30:00.000Z');
      unreadable(problemOf('Embargo: 2026-10-25 03:30 CEST', SUMMER));
    });

    it('refuses a CET time that does not exist on the last Sunday of March', () => {
      assert.equal(endOf('Embargo: 2026-03-29 01:30 CET', SUMMER), '2026-03-29T00:30:00.000Z');
      unreadable(problemOf('Embargo: 2026-03-29 02:30 CET', SUMMER));
      assert.equal(endOf('Embargo: 2026-03-29 03:30 CEST', SUMMER), '2026-03-29T01:30:00.000Z');
    });

    it('follows the US switch on the second Sunday of March at 02:00 local time', () => {
      assert.equal(endOf('Embargo: 2026-03-08 01:30 EST', SUMMER), '2026-03-08T06:30:00.000Z');
      unreadable(problemOf('Embargo: 2026-03-08 03:30 EST', SUMMER));
      assert.equal(endOf('Embargo: 2026-03-08 03:30 EDT', SUMMER), '2026-03-08T07:30:00.000Z');
      assert.equal(endOf('Embargo: 2026-07-04 12:00 PDT', SUMMER), '2026-07-04T19:00:00.000Z');
    });

    it('reads MST all year, as Arizona does', () => {
      assert.equal(endOf('Embargo: 2026-07-04 12:00 MST', SUMMER), '2026-07-04T19:00:00.000Z');
    });
  });

  describe('findEmbargoEnd: the forms security teams write (issue 13)', () => {
    const END = '2026-12-03T16:00:00.000Z';
    const clear: [string, string][] = [
      ['Coordinated Release Date (CRD): 2026-12-03 16:00 UTC', 'a "Coordinated Release Date (CRD):" label'],
      [
        'Coordinated Release Date (CRD) for Exim 4.99:\n            2026-12-03 16:00 UTC',
        'a CRD label with its value on the next line',
      ],
      ['CRD for OpenSSL 3.0: Thursday, December 3rd, 2026 at 16:00 UTC', '"CRD for <product>:"'],
      ['CRD: 2026-12-03 16:00 UTC', 'a bare "CRD:"'],
      [
        'Proposed public disclosure date/time: 2026-12-03 1600UTC',
        '"Proposed public disclosure date/time:" and a time without a colon',
      ],
      ['Disclosure-date: 2026-12-03 11:00 EST', 'a hyphenated label'],
      ['Release date: 2026-12-03 16:00 UTC', '"Release date:"'],
      ['Publication date: 3 December 2026, 16:00 GMT', '"Publication date:"'],
      ['The embargo ends on December 3, 2026 at 16:00 UTC.', '"The embargo ends ..."'],
      ['The embargo lifts 2026-12-03 16:00Z.', '"The embargo lifts ..."'],
      ['The embargo ends on\nDecember 3, 2026 at 16:00 UTC.', 'a sentence wrapped over two lines'],
      ['*** Note: EMBARGO is still in effect until 2026-12-03 1600 UTC. ***', '"EMBARGO is still in effect until ..."'],
      [
        'The fix is scheduled for public release on Thursday, December 3, 2026 at 08:00 PST (16:00 GMT).',
        '"public release on ..." with two zones that agree',
      ],
      ['The advisory will be made public on 2026-12-03 at 16:00 UTC.', '"will be made public on ..."'],
      ['Details will be public on 2026-12-03 16:00 UTC.', '"public on ..."'],
      ['Version 1.2.3 will be released on Thursday, December 3, 2026 at 16:00 UTC.', '"will be released on ..."'],
      ['2026-12-03: Coordinated Release Date (04:00 PM UTC).', 'a timeline line with the time in parentheses and PM'],
      ['Disclosure date: 2026-12-03 (16:00 UTC)', 'a time in parentheses after the date'],
      ['Embargo: 2026-12-03 1600 UTC', '"1600 UTC"'],
      ['Embargo: 2026-12-03 at 1600UTC', '"1600UTC"'],
      ['Embargo: 2026-12-03 16:00UTC', '"16:00UTC"'],
      ['Embargo: Dec 3, 2026 4:00 PM UTC', 'PM'],
      ['Embargo: 2026-12-03 17:00 CET (16:00 UTC)', 'two zones that agree, the second in parentheses'],
      ['Embargo: 2026-12-03 23:00 UTC+7 (16:00 UTC)', 'two zones that agree across a day'],
      ['Embargo: Thursday, December 3 2026 at 8am PT (16:00 UTC)', 'a moving zone checked against a clear one'],
      ['Embargo: 16:00 UTC on 2026-12-03', 'a time before a year-first date (its dashes are no offset)'],
    ];
    for (const [text, what] of clear) {
      it(`reads ${what}`, () => {
        assert.equal(endOf(`Hello list,\n\n${text}\n\nDetails follow.`), END);
      });
    }

    it('reads noon as 12:00 and 12:00 PM as noon', () => {
      assert.equal(endOf('Embargo: 2026-12-03 noon UTC'), '2026-12-03T12:00:00.000Z');
      assert.equal(endOf('Embargo: December 3, 2026, 12 noon UTC'), '2026-12-03T12:00:00.000Z');
      assert.equal(endOf('Embargo: 2026-12-03 12:00 PM UTC'), '2026-12-03T12:00:00.000Z');
    });

    it('reads 24:00 as the end of its day', () => {
      assert.equal(endOf('Embargo: 2026-12-03 24:00 UTC'), '2026-12-04T00:00:00.000Z');
      assert.equal(endOf('Embargo: 2026-12-03T24:00Z'), '2026-12-04T00:00:00.000Z');
      unreadable(problemOf('Embargo: 2026-12-03 24:30 UTC'));
    });

    it('lets a back-reference ("until the CRD") stand beside the date it names', () => {
      const text =
        'We are requesting a coordinated release date (CRD) of 2026-12-03 16:00 UTC.\nWe ask that you keep this issue embargoed until the CRD[2]. If you\ndo not request another date, we will make this bug public on the CRD.';
      assert.equal(endOf(text), END);
      assert.equal(endOf('Embargo: until the disclosure date\nDisclosure date: 2026-12-03 16:00 UTC'), END);
    });

    it('reports a back-reference alone as missing', () => {
      assert.equal(problemOf('Please keep this issue embargoed until the CRD.').code, 'EMBARGO_MISSING');
    });

    it('does not take prose for an embargo line', () => {
      assert.equal(endOf(`Embargo: 2026-12-03 16:00 UTC\nThe fix will be public on GitHub.`), END);
      assert.equal(
        endOf(`Embargo: 2026-12-03 16:00 UTC\nThe advisory will be public on https://example.org/2026/42`),
        END,
      );
      assert.equal(endOf(`Embargo: 2026-12-03 16:00 UTC\nWe will release version 1.2.3 with the fix.`), END);
    });
  });

  describe('findEmbargoEnd: proposals, never an end (issue 13)', () => {
    const MAIL = { ...OPTS, mailDate: new Date('2026-11-24T09:00:00Z') };

    it('proposes "around 15:00 UTC" as that instant', () => {
      for (const text of [
        'Embargo: 2026-12-03 around 15:00 UTC',
        'The embargo ends around 15:00 UTC on 2026-12-03.',
        'Version 2.0 will be released on Thursday, December 3, 2026 at approximately 1500 UTC.',
        'Embargo: 2026-12-03 ~15:00 UTC',
      ]) {
        const p = proposalOf(text);
        assert.equal(p.proposal.end.toISOString(), '2026-12-03T15:00:00.000Z', text);
        assert.match(p.proposal.why, /approximate time/, text);
      }
    });

    it('proposes the end of a window', () => {
      for (const text of [
        'Embargo: 2026-12-03 between 13:00-17:00 UTC',
        'Embargo: 2026-12-03 between 13:00 and 17:00 UTC',
        'Embargo: 2026-12-03 1300-1700 UTC',
        'Embargo: 2026-12-03 from 1pm to 5pm UTC',
        'These releases will be made available on 3rd December 2026 between\n1300-1700 UTC.',
      ]) {
        const p = proposalOf(text);
        assert.equal(p.proposal.end.toISOString(), '2026-12-03T17:00:00.000Z', text);
        assert.match(p.proposal.why, /window of times .* whose end is the safe reading/, text);
      }
    });

    it('refuses a window that runs past midnight', () => {
      assert.match(unreadable(problemOf('Embargo: 2026-12-03 between 22:00-02:00 UTC')).message, /past midnight/);
    });

    it("proposes a date without a year as the first such instant after the mail's Date", () => {
      const p = proposalOf('Embargo: December 3 at 16:00 UTC', MAIL);
      assert.equal(p.proposal.end.toISOString(), '2026-12-03T16:00:00.000Z');
      assert.match(p.proposal.why, /no year .* after the mail's date \(2026-11-24 09:00 UTC\) is in 2026/);
      const next = proposalOf('Embargo: January 5 at 16:00 UTC', MAIL);
      assert.equal(next.proposal.end.toISOString(), '2027-01-05T16:00:00.000Z');
      // Without the mail's Date a missing year is refused, as before.
      assert.match(unreadable(problemOf('Embargo: December 3 at 16:00 UTC')).message, /without a year/);
    });

    it('refuses a date without a year whose weekday is not that of the proposed year', () => {
      assert.match(
        unreadable(problemOf('Embargo: Friday, December 3 at 16:00 UTC', MAIL)).message,
        /says Friday, but 2026-12-03 is a Thursday/,
      );
    });

    it('proposes the later midnight for "12:00 AM"', () => {
      const p = proposalOf('Embargo: 2026-12-03 12:00 AM UTC');
      assert.equal(p.proposal.end.toISOString(), '2026-12-04T00:00:00.000Z');
      assert.match(p.proposal.why, /midnight that starts a day and for the one that ends it/);
    });

    it('writes the EMBARGO line to send back in its message, with the end in UTC and in words', () => {
      const p = proposalOf('Embargo: 2026-12-10 around 17:00 UTC');
      assert.equal(p.proposal.line, 'Embargo: 2026-12-10 around 17:00 UTC');
      assert.match(p.message, /2026-12-10 17:00 UTC \(Thursday 10 December 2026, 17:00 UTC\)/);
      assert.match(p.message, /reply "EMBARGO 2026-12-10T17:00Z"/);
      assert.equal(dateOf('EMBARGO 2026-12-10T17:00Z'), '2026-12-10T17:00:00.000Z');
    });

    it('reads a proposal confirmed by an exact line, and proposes the later when another line contradicts it', () => {
      assert.equal(
        endOf('Embargo: 2026-12-03 16:00 UTC\nThe embargo ends around 16:00 UTC on 2026-12-03.'),
        '2026-12-03T16:00:00.000Z',
      );
      const p = problemOf('Embargo: 2026-12-03 16:00 UTC\nThe embargo ends around 17:00 UTC on 2026-12-03.');
      assert.ok(p.code === 'EMBARGO_PROPOSED', p.code);
      assert.equal(p.proposal.end.toISOString(), '2026-12-03T17:00:00.000Z', 'the later, and never an end');
    });

    it('checks a proposal against the clock like an end', () => {
      assert.equal(problemOf('Embargo: 2026-11-20 around 15:00 UTC').code, 'EMBARGO_PAST');
      assert.equal(problemOf('Embargo: 2027-12-03 around 15:00 UTC').code, 'EMBARGO_TOO_FAR');
    });

    it('gives the EMBARGO keyword no proposal: it must be exact', () => {
      const p = unreadable(dateProblem('EMBARGO 2026-12-03 around 15:00 UTC'));
      assert.match(p.message, /approximate time.*give the exact end, e\.g\. "EMBARGO 2026-12-03T15:00Z"/);
    });
  });

  describe('findEmbargoEnd: what an attacker or a slip may write (issue 13)', () => {
    it('ignores a label inside quoted text', () => {
      assert.equal(
        problemOf('> Embargo: 2026-12-01 16:00 UTC\n> CRD: 2026-12-01 16:00 UTC\nThanks!').code,
        'EMBARGO_MISSING',
      );
      assert.equal(endOf('> CRD: 2026-12-01 16:00 UTC\nCRD: 2026-12-03 16:00 UTC'), '2026-12-03T16:00:00.000Z');
    });

    it('does not read a date in a signature or a reply header', () => {
      const text =
        'On Tue, Dec 1, 2026 at 10:00 AM Mallory <m@example.org> wrote:\nEmbargo: 2026-12-03 16:00 UTC\n\n-- \nJane, PSIRT\nSent 2026-12-01 09:00 UTC\nPGP key expires 2027-01-01 00:00 UTC';
      assert.equal(endOf(text), '2026-12-03T16:00:00.000Z');
    });

    it('never opens on a forged second CRD line, earlier or later: the later is only proposed', () => {
      const p = problemOf('CRD: 2026-12-03 16:00 UTC\nSome text.\nCRD: 2026-12-01 16:00 UTC');
      assert.ok(p.code === 'EMBARGO_PROPOSED', p.code);
      assert.equal(p.proposal.end.toISOString(), '2026-12-03T16:00:00.000Z', 'an earlier forged date never wins');
    });

    it('reads fullwidth digits and Unicode dashes as what they show; refuses other digits and direction marks', () => {
      assert.equal(endOf('Embargo: ２０２６-１２-０３ １６:００ UTC'), '2026-12-03T16:00:00.000Z');
      assert.equal(endOf('Embargo: 2026\u201012\u201103 16:00 UTC'), '2026-12-03T16:00:00.000Z');
      assert.equal(endOf('Embargo: 2026\u201312\u201303 16:00 UTC'), '2026-12-03T16:00:00.000Z');
      assert.equal(endOf('Embargo: 2026-12-03 16:00 UTC\u22125'), '2026-12-03T21:00:00.000Z');
      assert.match(unreadable(problemOf('Embargo: 2026-12-0\u0663 16:00 UTC')).message, /a digit that is not 0-9/);
      assert.match(unreadable(problemOf('Embargo: 2026-12-03 16:00 UTC\u00b9')).message, /a digit that is not 0-9/);
      assert.match(unreadable(problemOf('Embargo: \u202e2026-12-03 16:00 UTC')).message, /direction marks/);
      assert.equal(endOf('Embargo: 2026-12-0\u200b3 16:00 UTC'), '2026-12-03T16:00:00.000Z');
    });

    it('refuses a zone in parentheses that disagrees', () => {
      for (const value of [
        '2026-12-03 16:00 UTC (18:00 CET)',
        '2026-12-03 08:00 PST (17:00 GMT)',
        'Thursday, December 3 2026 at 9am PT (16:00 UTC)',
        '2026-12-03 16:00 UTC (17:00 CEST)',
        '2026-12-03 16:00 UTC (17:00 XYZ)',
      ]) {
        unreadable(problemOf(`Embargo: ${value}`));
      }
    });

    it('refuses dates and times that do not exist, and leap seconds', () => {
      for (const value of [
        '2026-02-30 16:00 UTC',
        'February 30, 2026 16:00 UTC',
        '2026-12-03 23:59:60 UTC',
        '2026-12-31T23:59:60Z',
        '2026-12-03 24:01 UTC',
      ]) {
        unreadable(problemOf(`Embargo: ${value}`));
      }
    });

    it('refuses "midnight", which names the start or the end of a day', () => {
      assert.match(unreadable(problemOf('Embargo: December 3, 2026 at midnight UTC')).message, /midnight/);
    });

    it('does not read a year as a time, nor a date as a window or an offset', () => {
      assert.match(unreadable(problemOf('Embargo: Dec 3 2026 UTC')).message, /a date but no time/);
      assert.equal(endOf('Embargo: 2026-12-03 16:00 -05:00'), '2026-12-03T21:00:00.000Z');
      assert.equal(endOf('Embargo: 2026-12-03 16:00-05:00'), '2026-12-03T21:00:00.000Z');
      assert.equal(endOf('Embargo: 2026-12-03 16:00 UTC / 2026-12-03 17:00 CET'), '2026-12-03T16:00:00.000Z');
    });

    it('keeps the zone rules: no zone, an ambiguous zone, a contradicting weekday, numeric day/month', () => {
      for (const value of [
        'CRD: 2026-12-03 16:00',
        'CRD: 2026-12-03 16:00 IST',
        'The embargo ends on 2026-12-03 1600 ET.',
        'CRD: Wednesday, 2026-12-03 16:00 UTC',
        'CRD: Friday, December 3rd 2026 at 16:00 UTC',
        'Release date: 03/12/2026 16:00 UTC',
        'Disclosure date: 2026-12-03',
        '2026-12-03: Coordinated Release Date.',
      ]) {
        unreadable(problemOf(value));
      }
    });
  });

  describe('parseEmbargoDate', () => {
    it('reads the date after the EMBARGO keyword', () => {
      assert.equal(dateOf('EMBARGO 2026-12-05 16:00 UTC'), '2026-12-05T16:00:00.000Z');
      assert.equal(dateOf('embargo: Dec 5, 2026 4pm UTC'), '2026-12-05T16:00:00.000Z');
    });

    it('reads a bare date', () => {
      assert.equal(dateOf('2026-12-05T16:00:00Z'), '2026-12-05T16:00:00.000Z');
      assert.equal(dateOf('  2026-12-05 17:00 +01:00  '), '2026-12-05T16:00:00.000Z');
    });

    it('reports a keyword without a date as missing', () => {
      const p = dateProblem('EMBARGO');
      assert.equal(p.code, 'EMBARGO_MISSING');
      assert.match(p.message, /write it after the keyword, e\.g\. "EMBARGO \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"/);
      assert.equal(dateProblem('   ').code, 'EMBARGO_MISSING');
    });

    it('applies the same rules as an embargo line', () => {
      assert.match(
        unreadable(dateProblem('EMBARGO 2026-12-05 16:00')).message,
        /^The embargo date "EMBARGO 2026-12-05 16:00" gives no time zone/,
      );
      assert.equal(unreadable(dateProblem('EMBARGO 2026-12-05')).line, 'EMBARGO 2026-12-05');
      unreadable(dateProblem('EMBARGO 05/12/2026 16:00 UTC'));
      assert.equal(dateProblem('EMBARGO 2026-11-25 12:00 UTC').code, 'EMBARGO_PAST');
      assert.equal(dateProblem('EMBARGO 2027-02-23 12:01 UTC').code, 'EMBARGO_TOO_FAR');
      assert.equal(dateOf('EMBARGO 2027-02-23 12:00 UTC'), '2027-02-23T12:00:00.000Z');
    });

    it('refuses a value with CR/LF in it when the part after the break is a second date', () => {
      unreadable(dateProblem('EMBARGO 2026-12-05 16:00 UTC\r\n2026-12-06 16:00 UTC'));
    });
  });

  describe('formatUtc', () => {
    it('writes an instant as "YYYY-MM-DD HH:MM UTC"', () => {
      assert.equal(formatUtc(new Date('2026-12-03T16:00:00Z')), '2026-12-03 16:00 UTC');
      assert.equal(formatUtc(new Date('2026-12-03T17:00:00+01:00')), '2026-12-03 16:00 UTC');
      assert.equal(formatUtc(new Date('0999-01-02T03:04:00Z')), '0999-01-02 03:04 UTC');
    });

    it('writes seconds only when they are not zero', () => {
      assert.equal(formatUtc(new Date('2026-12-03T16:00:30.999Z')), '2026-12-03 16:00:30 UTC');
    });

    it('throws on an invalid date', () => {
      assert.throws(() => formatUtc(new Date(Number.NaN)), RangeError);
    });

    it('writes what findEmbargoEnd reads back', () => {
      const end = new Date('2026-12-24T23:59:00Z');
      assert.equal(endOf(`Embargo: ${formatUtc(end)}`), end.toISOString());
    });
  });

  describe('isUpstreamNotice', () => {
    it('reads "Upstream: yes" and "Upstream notice: yes|true"', () => {
      assert.equal(isUpstreamNotice('Hi\nUpstream: yes\n'), true);
      assert.equal(isUpstreamNotice('Upstream notice: true'), true);
      assert.equal(isUpstreamNotice('UPSTREAM NOTICE: Yes.'), true);
      assert.equal(isUpstreamNotice('**Upstream:** yes\r\n'), true);
      assert.equal(isUpstreamNotice('- Upstream notice: yes'), true);
    });

    it('is false without such a line, or with "no"', () => {
      assert.equal(isUpstreamNotice('Embargo: 2026-12-03 16:00 UTC'), false);
      assert.equal(isUpstreamNotice('Upstream: no'), false);
      assert.equal(isUpstreamNotice('Upstream: yes\nUpstream: no'), false);
      assert.equal(isUpstreamNotice(''), false);
    });

    it('ignores quoted lines and lines that only mention upstream', () => {
      assert.equal(isUpstreamNotice('> Upstream: yes'), false);
      assert.equal(isUpstreamNotice('We told upstream: yes, they know.'), false);
      assert.equal(isUpstreamNotice('Upstream: yes, but only the patch'), false);
      assert.equal(isUpstreamNotice('Upstream: yesterday'), false);
    });
  });
});

describe('policy/embargo-date: what moves or questions an end is never taken as certain (review of issue 13)', () => {
  /** Each text names 2026-12-03 16:00 UTC as the end, and something else that may move it. */
  const MOVED_ELSEWHERE = [
    'Embargo: 2026-12-03 16:00 UTC\nUpdate: the embargo has been extended until 2026-12-10 16:00 UTC.',
    'Embargo: 2026-12-03 16:00 UTC\nThe CRD has been moved to 2026-12-10 16:00 UTC.',
    'Embargo: 2026-12-03 16:00 UTC\nThe CRD has been pushed to 2026-12-10 16:00 UTC.',
    'Embargo: 2026-12-03 16:00 UTC\nEMBARGO EXTENDED TO 2026-12-10 16:00 UTC',
    'Embargo: 2026-12-03 16:00 UTC\nEmbargo extension: 2026-12-10 16:00 UTC',
    'Embargo: 2026-12-03 16:00 UTC\nEmbargo (revised): 2026-12-10 16:00 UTC',
    'Embargo: 2026-12-03 16:00 UTC\nNew date for the embargo: 2026-12-10 16:00 UTC',
    'Embargo: 2026-12-03 16:00 UTC\nThe embargo is extended indefinitely.',
    'Embargo: 2026-12-03 16:00 UTC\nDisclosure will be delayed by one week.',
    'Embargo: 2026-12-03 16:00 UTC\nEmbargo lifts upon release of the fix.',
    'Embargo: 2026-12-03 16:00 UTC\n| Embargo | 2026-12-10 16:00 UTC |',
    'Embargo: 2026-12-03 16:00 UTC\n  (extended to 2026-12-10 16:00 UTC)',
    'Embargoed until 2026-12-03 16:00 UTC. Extended: 2026-12-10 16:00 UTC.',
    'The embargo ends on 2026-12-03 16:00 UTC; if no fix is ready, it moves to 2026-12-10 16:00 UTC.',
    'Embargo: 2026-12-03 16:00 UTC\nthe public disclosure is planned for early 2027',
    'Embargo: 2026-12-03 16:00 UTC\nWe will publish the advisory on 10 December 2026.',
  ];
  /** The same end with words beside it in its own value that move or question it. */
  const QUALIFIED = [
    '2026-12-03 16:00 UTC + 48h',
    '2026-12-03 16:00 UTC plus one week',
    '2026-12-03 16:00 UTC (+7 days for distros)',
    '2026-12-03 16:00 UTC, extended by 7 days',
    '2026-12-03 16:00 UTC (tentative)',
    '2026-12-03 16:00 UTC, subject to change',
    '2026-12-03 16:00 UTC (will likely slip)',
    '2026-12-03 16:00 UTC (unless the fix slips)',
    '2026-12-03 16:00 UTC or earlier if exploited in the wild',
    '2026-12-03 16:00 UTC or when the fix ships, whichever is later',
    '2026-12-03 16:00 UTC at the earliest',
    'no earlier than 2026-12-03 16:00 UTC',
    'until 2026-12-03 16:00 UTC, then one more week for distributions',
    '2026-12-03 16:00 UTC (Friday)',
    '2026-12-03 16:00 UTC 2025',
    '2026-12-03 16:00 UTC (18:00)',
  ];

  for (const text of MOVED_ELSEWHERE)
    it(`proposes, never opens: ${JSON.stringify(text)}`, () => {
      const p = problemOf(text, { ...OPTS, now: new Date('2026-11-20T12:00:00Z') });
      assert.ok(p.code === 'EMBARGO_PROPOSED' || p.code === 'EMBARGO_UNREADABLE', p.code);
    });

  for (const value of QUALIFIED) {
    it(`proposes, never opens, and the keyword refuses: "Embargo: ${value}"`, () => {
      const p = problemOf(`Embargo: ${value}`);
      assert.ok(p.code === 'EMBARGO_PROPOSED' || p.code === 'EMBARGO_UNREADABLE', p.code);
      dateProblem(`EMBARGO ${value}`);
    });
  }

  it('still reads the end when what is beside it only says the same (another zone, the weekday, the same day in Tokyo)', () => {
    for (const text of [
      'Embargo: 2026-12-03 16:00 UTC (Thursday)',
      'Embargo: 2026-12-03 16:00 UTC (2026-12-03 17:00 CET, 2026-12-04 01:00 JST)',
      'Embargo: 2026-12-03 16:00 UTC\nReported to us on 2026-11-02; thanks to the finder.',
      'Embargo: 2026-12-03 16:00 UTC\n\n-- \nJane, PSIRT\nPGP key expires 2027-01-01 00:00 UTC',
      'Embargo: 2026-12-03 16:00 UTC\n> The embargo was extended to 2026-12-10 16:00 UTC, someone wrote.',
    ])
      assert.equal(endOf(text), '2026-12-03T16:00:00.000Z', text);
  });
});
