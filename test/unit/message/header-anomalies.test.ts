import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { headerAnomalies } from '../../../src/message/header-anomalies';
import { PythonEmailReader } from '../../helpers/python-email-reader';
import { crlf, lf } from '../../helpers/raw-mail';

const OUTSIDER = 'outsider@evil.example';
/** A post whose Subject line is `subject`, written as it is (bytes kept), CRLF line ends. */
const withSubject = (subject: string): Buffer =>
  Buffer.from(
    `From: alice@member.example\r\nSubject: ${subject}\r\nTo: security@lists.example.org\r\n\r\nbody\r\n`,
    'latin1',
  );
const problems = (raw: Buffer): string[] => headerAnomalies(raw).map((a) => `${a.line}: ${a.problem}`);

describe('message/header-anomalies', () => {
  describe('finds each header line that readers split differently', () => {
    it('a bare CR inside a header line', () => {
      assert.deepEqual(problems(withSubject(`hi\rCc: ${OUTSIDER}`)), [
        '2: a carriage return inside a line (bare CR), which some readers take for a line end',
      ]);
    });

    it('a bare CR just before the CRLF of a line', () => {
      assert.deepEqual(problems(withSubject('hi\r')), [
        '2: a carriage return inside a line (bare CR), which some readers take for a line end',
      ]);
    });

    it('a bare CR in a message stored with LF line ends', () => {
      assert.deepEqual(problems(lf('From: alice@member.example', `Subject: hi\rReply-To: ${OUTSIDER}`, '', 'body')), [
        '2: a carriage return inside a line (bare CR), which some readers take for a line end',
      ]);
    });

    it('a bare LF in a message whose lines end with CRLF', () => {
      assert.deepEqual(problems(withSubject(`hi\nCc: ${OUTSIDER}`)), [
        '2: a line feed without a carriage return (bare LF) in a message that ends its lines with CRLF',
      ]);
    });

    it('a NUL byte', () => {
      assert.deepEqual(problems(withSubject(`hi\0Cc: ${OUTSIDER}`)), ['2: a NUL byte']);
    });

    it('other control characters (vertical tab, form feed, file separator, escape, DEL), each named by its code', () => {
      for (const [c, code] of [
        ['\x0b', '0b'],
        ['\x0c', '0c'],
        ['\x1c', '1c'],
        ['\x1b', '1b'],
        ['\x7f', '7f'],
        ['\x01', '01'],
      ] as const) {
        assert.deepEqual(
          problems(withSubject(`hi${c}Cc: ${OUTSIDER}`)),
          [`2: a control character (0x${code})`],
          `0x${code}`,
        );
      }
    });

    it('a line that is not a field, an empty field name, and an mbox "From " line that is not the first', () => {
      const notAField = '2: a line that is not a header field, which some readers take for the end of the header';
      assert.deepEqual(
        problems(crlf('From: alice@member.example', 'this line is no header', `Cc: ${OUTSIDER}`, '', 'body')),
        [notAField],
      );
      assert.deepEqual(problems(crlf('From: alice@member.example', `: ${OUTSIDER}`, '', 'body')), [notAField]);
      assert.deepEqual(
        problems(crlf('From: alice@member.example', 'From alice@member.example Tue Mar 10 09:00:00 2026', '', 'body')),
        [notAField],
      );
    });

    it('white space between a field name and its colon ("Cc : ...")', () => {
      for (const line of [`Cc : ${OUTSIDER}`, `Reply-To\t: ${OUTSIDER}`]) {
        assert.deepEqual(
          problems(crlf('From: alice@member.example', line, '', 'body')),
          ['2: white space between a field name and its colon, which some readers take for the end of the header'],
          JSON.stringify(line),
        );
      }
    });

    it('a continuation line first, with no field before it', () => {
      assert.deepEqual(problems(crlf(` Cc: ${OUTSIDER}`, 'From: alice@member.example', '', 'body')), [
        '1: a continuation line with no field before it',
      ]);
    });

    it('every anomaly, each on its own line number, at most five', () => {
      const raw = crlf('From: alice@member.example', 'one', 'two', 'three', 'four', 'five', 'six', '', 'body');
      assert.deepEqual(
        headerAnomalies(raw).map((a) => a.line),
        [2, 3, 4, 5, 6],
      );
      assert.equal(headerAnomalies(raw, 2).length, 2);
    });
  });

  describe('leaves well-formed headers alone', () => {
    it('a clean CRLF message with folded fields, tabs and raw UTF-8', () => {
      const raw = crlf(
        'From: Jörg Müller <alice@member.example>',
        'To: security@lists.example.org,',
        '\tbob@member.example',
        'Subject: a\tb',
        ' continued',
        'X-Note: Ā-Ÿ',
        '',
        'body',
      );
      assert.deepEqual(problems(raw), []);
    });

    it('a clean LF message', () => {
      assert.deepEqual(problems(lf('From: alice@member.example', 'Subject: hi', '\tfolded', '', 'body')), []);
    });

    it('the mbox "From " envelope line an MTA pipe puts first', () => {
      assert.deepEqual(
        problems(
          crlf(
            'From alice@member.example Tue Mar 10 09:00:00 2026',
            'From: alice@member.example',
            'Subject: s',
            '',
            'body',
          ),
        ),
        [],
      );
      assert.deepEqual(
        problems(lf('From alice@member.example Tue Mar 10 09:00:00 2026', 'From: alice@member.example', '', 'body')),
        [],
      );
    });

    it('a whitespace-only continuation line, which every reader takes as folding', () => {
      assert.deepEqual(
        problems(crlf('From: alice@member.example', 'Subject: hi', ' ', `Cc: ${OUTSIDER}`, '', 'body')),
        [],
      );
    });

    it('bare CRs, NULs and control bytes in the body, which is not a header', () => {
      assert.deepEqual(
        problems(
          Buffer.from(`From: alice@member.example\r\nSubject: s\r\n\r\nbody\rCc: ${OUTSIDER}\0\x0b\n`, 'latin1'),
        ),
        [],
      );
    });

    it('a message that is all header, with no blank line and no final line end', () => {
      assert.deepEqual(problems(Buffer.from('From: alice@member.example\r\nSubject: s')), []);
    });
  });

  describe("the reason is real: mailparser and Python's email package read such a header differently", function () {
    this.timeout(30_000);
    let python: PythonEmailReader;
    before(async () => {
      python = await PythonEmailReader.start();
    });
    after(() => python?.stop());

    const readers = async (raw: Buffer): Promise<{ mailparser: string[]; python: string[] }> => ({
      mailparser: (await simpleParser(raw)).headerLines.map((l) => l.key).filter((k) => k !== ''),
      python: (await python.read(raw)).compat32.names.map((n) => n.toLowerCase()),
    });

    it('a bare CR: Python sees a Cc that mailparser does not', async () => {
      const raw = withSubject(`hi\rCc: ${OUTSIDER}`);
      assert.deepEqual(await readers(raw), {
        mailparser: ['from', 'subject', 'to'],
        python: ['from', 'subject', 'cc', 'to'],
      });
      assert.notDeepEqual(headerAnomalies(raw), []);
    });

    it('"Cc :": mailparser sees a Cc, Python ends the header there', async () => {
      const raw = crlf('From: alice@member.example', `Cc : ${OUTSIDER}`, 'To: security@lists.example.org', '', 'body');
      assert.deepEqual(await readers(raw), { mailparser: ['from', 'cc', 'to'], python: ['from'] });
      assert.notDeepEqual(headerAnomalies(raw), []);
    });

    it('a line that is not a field: mailparser reads on, Python ends the header there', async () => {
      const raw = crlf('From: alice@member.example', 'no field here', `Cc: ${OUTSIDER}`, '', 'body');
      assert.deepEqual(await readers(raw), { mailparser: ['from', 'cc'], python: ['from'] });
      assert.notDeepEqual(headerAnomalies(raw), []);
    });
  });
});
