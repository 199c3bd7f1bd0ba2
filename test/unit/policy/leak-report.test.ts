import assert from 'node:assert/strict';
import { isLeakReport, parseLeakReport, threadNumberIn } from '../../../src/policy/leak-report';

describe('policy/leak-report', () => {
  describe('isLeakReport', () => {
    it('sees LEAK at the start of the subject behind reply prefixes and list tags', () => {
      assert.equal(isLeakReport('Re: [EMBARGOED until 2026-12-03 16:00 UTC] [#12] LEAK: CVE details', null), true);
      assert.equal(isLeakReport('AW: Fwd: [#12] LEAK - patch went to a customer', null), true);
      assert.equal(isLeakReport('RE[2]: Re: LEAK', null), true);
      assert.equal(isLeakReport('LEAK: CVE details', null), true);
    });

    it('reads LEAK in capitals only: "Leak of service tokens" is a subject, not a report', () => {
      assert.equal(isLeakReport('LEAK report for #12', null), true);
      assert.equal(isLeakReport('Re: [#12] LEAK!', null), true);
      assert.equal(isLeakReport('Leak report for #12', null), false);
      assert.equal(isLeakReport('leak: sent to the wrong list', null), false);
      assert.equal(
        isLeakReport('Re: [EMBARGOED until 2026-12-03 16:00 UTC] [#1] Leak of service account tokens', 'ACK'),
        false,
      );
    });

    it('sees LEAK at the start of the first line the sender wrote', () => {
      assert.equal(isLeakReport('Re: [#12] CVE-2026-1234 details', 'LEAK: the PoC went to our partner'), true);
      assert.equal(isLeakReport('Re: [#12] CVE-2026-1234 details', '  **LEAK:** see below'), true);
      assert.equal(isLeakReport('Re: [#12] CVE-2026-1234 details', '- LEAK report'), true);
      assert.equal(isLeakReport('Re: [#12] CVE-2026-1234 details', 'Leak report'), false);
    });

    it('does not take "leaky", "leakage" or a later LEAK for a leak report', () => {
      assert.equal(isLeakReport('Re: leaky abstraction', null), false);
      assert.equal(isLeakReport('Leakage analysis of the fix', null), false);
      assert.equal(isLeakReport('Leak-check results', 'All fine.'), false);
      assert.equal(isLeakReport('Re: [#12] Memory leak in the parser', 'I found a leak too.'), false);
      assert.equal(isLeakReport('Re: [#12] CVE details', null), false);
      assert.equal(isLeakReport('Re: [#12] CVE details', 'Thanks, we will LEAK nothing.'), false);
      assert.equal(isLeakReport('', ''), false);
    });

    it('counts a tag of its own that starts with LEAK, but not a tag that merely contains it', () => {
      assert.equal(isLeakReport('Re: [#12] [LEAK] patch sent to a partner', null), true);
      assert.equal(isLeakReport('[LEAK report] [#12] patch sent to a partner', null), true);
      assert.equal(isLeakReport('[EMBARGOED until 2026-12-03 16:00 UTC, no leak] [#12] details', null), false);
      assert.equal(isLeakReport('[leaky-list] details', null), false);
      assert.equal(isLeakReport('Re: [EMBARGOED until 2026-12-03 16:00 UTC LEAK', null), false);
    });

    it('survives hostile subjects: CR/LF, unclosed brackets, thousands of tags', () => {
      assert.equal(isLeakReport('Re: [#12]\r\n LEAK: CVE', null), true);
      assert.equal(isLeakReport('Re: [#12\r\nLEAK', null), false);
      assert.equal(isLeakReport(`${'[x] '.repeat(50_000)}LEAK: CVE`, null), true);
      assert.equal(isLeakReport(`${'Re: '.repeat(50_000)}leaky`, null), false);
    });
  });

  describe('parseLeakReport', () => {
    it('reads "What:" and "To whom:"', () => {
      const r = parseLeakReport('LEAK\n\nWhat: the patch for CVE-2026-1234\nTo whom: our partner Example Corp\n');
      assert.equal(r.what, 'the patch for CVE-2026-1234');
      assert.equal(r.toWhom, 'our partner Example Corp');
    });

    it('reads the other labels for the recipient', () => {
      for (const label of ['Who', 'Recipient', 'Recipients', 'Recipient(s)', 'Leaked to', 'to whom', 'TO WHOM']) {
        assert.equal(parseLeakReport(`What: PoC\n${label}: Example Corp`).toWhom, 'Example Corp', label);
      }
      assert.equal(parseLeakReport('What leaked: the PoC').what, 'the PoC');
      assert.equal(parseLeakReport('WHAT: the PoC').what, 'the PoC');
    });

    it('reads labels in bold or behind a bullet', () => {
      const r = parseLeakReport('- **What:** the PoC\n* **To whom**: a contractor');
      assert.equal(r.what, 'the PoC');
      assert.equal(r.toWhom, 'a contractor');
    });

    it('continues a value on indented lines and on following lines until a blank line or another label', () => {
      const r = parseLeakReport(
        'What: the advisory draft\n  and the PoC exploit\nTo whom: two engineers at\nExample Corp\n\nSorry about this.\nWhen: yesterday\n  at noon',
      );
      assert.equal(r.what, 'the advisory draft\nand the PoC exploit');
      assert.equal(r.toWhom, 'two engineers at\nExample Corp');
    });

    it('stops a value at a quoted line', () => {
      const r = parseLeakReport('What: the PoC\n> Embargo: 2026-12-03 16:00 UTC\nmore of my own text');
      assert.equal(r.what, 'the PoC');
    });

    it('reads a value that starts on the line after its label', () => {
      assert.equal(parseLeakReport('What:\n   the PoC\nTo whom: Example Corp').what, 'the PoC');
    });

    it('gives null for missing or empty fields', () => {
      assert.deepEqual(parseLeakReport('LEAK: we sent the patch to a customer by mistake.'), {
        what: null,
        toWhom: null,
        leakedBy: [],
        text: 'LEAK: we sent the patch to a customer by mistake.',
      });
      assert.equal(parseLeakReport('What:\n\nTo whom: someone').what, null);
      assert.equal(parseLeakReport('').toWhom, null);
    });

    it('keeps both values when a label is given twice', () => {
      assert.equal(parseLeakReport('What: the PoC\n\nWhat: the advisory').what, 'the PoC\nthe advisory');
    });

    it('reads values across CR/LF and bare CR, and a CR cannot smuggle in a label', () => {
      const r = parseLeakReport('What: the PoC\r\nTo whom: Example Corp\rBcc: evil@example.net\r\n');
      assert.equal(r.what, 'the PoC');
      assert.equal(r.toWhom, 'Example Corp');
      assert.equal(r.text, 'What: the PoC\nTo whom: Example Corp\nBcc: evil@example.net');
    });

    it('strips control characters from values', () => {
      assert.equal(parseLeakReport('What: the\u0000 PoC\u0007').what, 'the  PoC');
    });

    it('does not take a URL or prose for a label', () => {
      const r = parseLeakReport('What: the PoC, see\nhttps://example.com/x\nWho knows how far it went');
      assert.equal(r.what, 'the PoC, see\nhttps://example.com/x\nWho knows how far it went');
      assert.equal(r.toWhom, null);
    });

    it('reads who leaked from "Leaked by:" and its other labels, apart from what and to whom', () => {
      for (const label of [
        'Leaked by',
        'LEAKED BY',
        'Who leaked',
        'Who leaked it',
        'Leaker',
        'Leaking member',
        'Leaking organization',
        'Leaking organisation',
        'leaking alias',
      ]) {
        const r = parseLeakReport(`What: PoC\n${label}: security@beta.example\nTo whom: Example Corp`);
        assert.deepEqual([r.what, r.toWhom, r.leakedBy], ['PoC', 'Example Corp', ['security@beta.example']], label);
      }
      assert.deepEqual(parseLeakReport('- **Leaked by:** Beta').leakedBy, ['Beta']);
    });

    it('keeps "Leaked to:" and "Who:" for the recipient, never for the leaker', () => {
      const r = parseLeakReport('Leaked to: security@beta.example\nWho: Beta');
      assert.deepEqual([r.toWhom, r.leakedBy], ['security@beta.example\nBeta', []]);
    });

    it('gives one leakedBy entry per label, its following lines joined with a space, and none for an empty label', () => {
      assert.deepEqual(
        parseLeakReport('Leaked by: Beta\n  Corp\nLeaked by: security@gamma.example\n\nLeaked by:\n').leakedBy,
        ['Beta Corp', 'security@gamma.example'],
      );
    });

    it('does not read "Leaked by:" from a quoted line, nor across a bare CR', () => {
      assert.deepEqual(parseLeakReport('What: PoC\n> Leaked by: security@beta.example').leakedBy, []);
      const r = parseLeakReport('What: PoC\rLeaked by: Beta\rTo whom: x');
      assert.deepEqual([r.what, r.leakedBy, r.toWhom], ['PoC', ['Beta'], 'x']);
    });

    it('reads a "Leaked by:" value of a hundred thousand continuation lines whole', () => {
      const r = parseLeakReport(`Leaked by: Beta\n${'x\n'.repeat(100_000)}`);
      assert.equal(r.leakedBy.length, 1);
      assert.equal(r.leakedBy[0]!.length, 'Beta'.length + 2 * 100_000);
    });

    it("returns the sender's text with LF line ends", () => {
      assert.equal(parseLeakReport('\r\n  LEAK\r\nWhat: PoC\r\n').text, 'LEAK\nWhat: PoC');
    });
  });

  describe('threadNumberIn', () => {
    it('reads the forms a thread number takes', () => {
      assert.equal(threadNumberIn('Re: [EMBARGOED until 2026-12-03 16:00 UTC] [#12] LEAK: CVE details'), 12);
      assert.equal(threadNumberIn('Leak report for #12'), 12);
      assert.equal(threadNumberIn('about disclosure 12'), 12);
      assert.equal(threadNumberIn('Disclosure #7 leaked'), 7);
      assert.equal(threadNumberIn('in thread #12.'), 12);
      assert.equal(threadNumberIn('THREAD 12'), 12);
      assert.equal(threadNumberIn('[#0012]'), 12);
    });

    it('reads one number named several times', () => {
      assert.equal(threadNumberIn('[#12] thread #12, disclosure 12'), 12);
    });

    it('gives null for no number or for two different ones', () => {
      assert.equal(threadNumberIn('Re: CVE details'), null);
      assert.equal(threadNumberIn(''), null);
      assert.equal(threadNumberIn('[#12] and [#13]'), null);
      assert.equal(threadNumberIn('thread #12, disclosure 14'), null);
      assert.equal(threadNumberIn('#0'), null);
    });

    it('does not read dates, CVE ids, durations or other kinds of numbers', () => {
      assert.equal(threadNumberIn('Public disclosure 2026-12-03 16:00 UTC'), null);
      assert.equal(threadNumberIn('disclosure 90 days after the report'), null);
      assert.equal(threadNumberIn('CVE-2026-1234'), null);
      assert.equal(threadNumberIn('[#12] fixed upstream in PR #345 and issue #346'), 12);
      assert.equal(threadNumberIn('Re: request #5'), null);
      assert.equal(threadNumberIn('C#12 and &#12; and ##12'), null);
    });

    it('survives CR/LF and a long text', () => {
      assert.equal(threadNumberIn('Re: LEAK\r\n [#12]\r\n'), 12);
      assert.equal(threadNumberIn(`${'no numbers here '.repeat(20_000)}#12`), 12);
    });
  });
});
