import assert from 'node:assert/strict';
import libmime from 'libmime';
import { simpleParser, type AddressObject } from 'mailparser';
import { parseConfig } from '../../../src/config';
import { composeRelay, listHeaders } from '../../../src/mail/relay';
import { headerValue, splitMessage } from '../../../src/message/headers';
import { TOKEN_PATTERN } from '../../../src/store/tokens';
import { BOUNCE_ADDRESS, LIST_ADDRESS, REQUESTS_ADDRESS, TEST_CONFIG_YAML, testConfig } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { PythonEmailReader } from '../../helpers/python-email-reader';
import { crlf, encodedWord, lf } from '../../helpers/raw-mail';

const config = testConfig();
const NOW = new Date('2026-03-10T09:30:00Z');
const OUTSIDER = 'outsider@evil.example';
const LIST_FIELDS = ['List-Id', 'List-Post', 'List-Help', 'Precedence', 'X-Loop', 'Reply-To'];

const relay = (raw: Buffer, rewriteFrom = true, c = config): Buffer => composeRelay(raw, c, rewriteFrom, NOW).raw;
const names = (raw: Buffer): string[] => splitMessage(raw).headers.map((h) => h.name);
/** The unfolded values of every field of that name (any case). */
const values = (raw: Buffer, name: string): string[] =>
  splitMessage(raw)
    .headers.filter((h) => h.name.toLowerCase() === name.toLowerCase())
    .map(headerValue);
/** The raw fields of one name, folding included. */
const fields = (raw: Buffer, name: string): string[] =>
  splitMessage(raw)
    .headers.filter((h) => h.name.toLowerCase() === name)
    .map((h) => h.raw);
const addresses = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (a === undefined ? [] : Array.isArray(a) ? a : [a]).flatMap((o) => o.value.map((v) => v.address ?? ''));

describe('mail/relay', () => {
  it("writes the list's fields first, then From, X-Original-From and To the list", () => {
    const raw = relay(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS, subject: 'hi' }));
    assert.ok(
      raw
        .toString()
        .startsWith(
          `List-Id: "Example Security" <security.lists.example.org>\r\nList-Post: <mailto:${LIST_ADDRESS}>\r\n` +
            `List-Help: <mailto:${REQUESTS_ADDRESS}?subject=help>\r\nPrecedence: list\r\nX-Loop: ${LIST_ADDRESS}\r\nReply-To: <${LIST_ADDRESS}>\r\n` +
            `From: "alice@member.example via Example Security"\r\n <${LIST_ADDRESS}>\r\nX-Original-From: alice@member.example\r\nTo: ${LIST_ADDRESS}\r\n`,
        ),
      raw.toString(),
    );
    assert.deepEqual(names(raw), [
      ...LIST_FIELDS,
      'From',
      'X-Original-From',
      'To',
      'Subject',
      'Date',
      'Message-ID',
      'MIME-Version',
      'Content-Type',
      'Content-Transfer-Encoding',
    ]);
  });

  it('uses the bounce address as the envelope sender', () => {
    assert.equal(
      composeRelay(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }), config).envelopeFrom,
      BOUNCE_ADDRESS,
    );
  });

  it('passes the body byte for byte, and writes the header anew from parsed values', () => {
    const original = crlf(
      'Received: from mx.member.example by mx.lists.example.org;',
      '\tTue, 10 Mar 2026 09:00:00 +0000',
      'DKIM-Signature: v=1; a=rsa-sha256; d=member.example;',
      ' b=abc123',
      'From: Alice <alice@member.example>',
      `To: ${LIST_ADDRESS}`,
      'Subject: =?UTF-8?B?w4RwZmVs?=',
      'Date: Tue, 10 Mar 2026 10:00:00 +0100',
      'Message-ID: <post-1@member.example>',
      'In-Reply-To: <a@x>',
      'References: <a@x>',
      ' <b@x>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain;',
      ' charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'line one',
      '',
      '-- ',
      'Alice',
    );
    const raw = relay(original);
    assert.deepEqual(splitMessage(raw).body, splitMessage(original).body);
    assert.deepEqual(names(raw), [
      ...LIST_FIELDS,
      'From',
      'X-Original-From',
      'To',
      'Subject',
      'Date',
      'Message-ID',
      'In-Reply-To',
      'References',
      'MIME-Version',
      'Content-Type',
      'Content-Transfer-Encoding',
    ]);
    const after = splitMessage(raw)
      .headers.slice(6)
      .map((h) => h.raw);
    assert.deepEqual(after, [
      `From: "Alice via Example Security" <${LIST_ADDRESS}>\r\n`,
      'X-Original-From: "Alice" <alice@member.example>\r\n',
      `To: ${LIST_ADDRESS}\r\n`,
      // Decoded and encoded again: the same text, not the same bytes.
      'Subject: =?UTF-8?Q?=C3=84pfel?=\r\n',
      // The same instant, written in UTC.
      'Date: Tue, 10 Mar 2026 09:00:00 +0000\r\n',
      'Message-ID: <post-1@member.example>\r\n',
      'In-Reply-To: <a@x>\r\n',
      'References: <a@x> <b@x>\r\n',
      'MIME-Version: 1.0\r\n',
      'Content-Type: text/plain; charset=utf-8\r\n',
      'Content-Transfer-Encoding: 8bit\r\n',
    ]);
  });

  it('drops the envelope, Bcc, trace, signature and private delivery fields', () => {
    const original = crlf(
      'Return-Path: <alice@member.example>',
      'Delivered-To: security@lists.example.org',
      'X-Original-To: security@lists.example.org',
      'Envelope-To: security@lists.example.org',
      'Received: from x by y',
      'DKIM-Signature: v=1; d=member.example; b=abc',
      'Authentication-Results: mx.lists.example.org; dkim=pass',
      'ARC-Seal: i=1; cv=none',
      'X-Mailer: Evil 1.0',
      'From: alice@member.example',
      `To: ${LIST_ADDRESS}`,
      'Bcc: secret-friend@elsewhere.example',
      '',
      'body',
    );
    assert.deepEqual(names(relay(original)), [...LIST_FIELDS, 'From', 'X-Original-From', 'To', 'Date', 'MIME-Version']);
  });

  describe('names nobody but the list and the author in any field a client replies or reports to', () => {
    const OUTSIDER_FIELDS = [
      'To',
      'Cc',
      'Bcc',
      'Sender',
      'Errors-To',
      'Reply-To',
      'Mail-Followup-To',
      'Mail-Reply-To',
      'Return-Receipt-To',
      'Disposition-Notification-To',
      'Read-Receipt-To',
      'X-Confirm-Reading-To',
      'Resent-From',
      'Resent-To',
      'Resent-Cc',
      'Resent-Bcc',
      'Resent-Sender',
      'Resent-Reply-To',
      'List-Post',
      'List-Unsubscribe',
      'List-Help',
      'X-Loop',
      'Return-Path',
    ];

    for (const name of OUTSIDER_FIELDS) {
      it(`an outsider in ${name}`, async () => {
        const value = name.startsWith('List-') ? `<mailto:${OUTSIDER}>` : `Eve <${OUTSIDER}>`;
        const to = name === 'To' ? `${LIST_ADDRESS}, Eve <${OUTSIDER}>` : LIST_ADDRESS;
        const original = crlf(
          'From: Alice <alice@member.example>',
          `To: ${to}`,
          ...(name === 'To' ? [] : [`${name}: ${value}`]),
          'Subject: s',
          '',
          'body',
        );
        for (const rewriteFrom of [true, false]) {
          const raw = relay(original, rewriteFrom);
          assert.doesNotMatch(raw.toString(), /outsider|evil/i, `rewriteFrom ${rewriteFrom}`);
          const parsed = await simpleParser(raw);
          assert.deepEqual(addresses(parsed.to), [LIST_ADDRESS]);
          assert.deepEqual(addresses(parsed.replyTo), [LIST_ADDRESS]);
          assert.equal(parsed.cc, undefined);
          assert.equal(parsed.bcc, undefined);
        }
      });
    }

    it('an outsider in Cc, folded over several lines, in odd case', () => {
      const raw = relay(
        crlf(
          'From: alice@member.example',
          `cC: friend@vendor.example,`,
          ` ${OUTSIDER}`,
          `RESENT-TO: ${OUTSIDER}`,
          'Subject: s',
          '',
          'body',
        ),
      );
      assert.doesNotMatch(raw.toString(), /vendor|outsider/);
    });
  });

  it('reads allowed fields written in odd case, and writes them with their usual names', () => {
    const raw = relay(
      crlf(
        'fROM: alice@member.example',
        'sUBJECT: s',
        'message-id: <m@member.example>',
        'CONTENT-TYPE: text/plain',
        '',
        'body',
      ),
    );
    assert.deepEqual(names(raw), [
      ...LIST_FIELDS,
      'From',
      'X-Original-From',
      'To',
      'Subject',
      'Date',
      'Message-ID',
      'MIME-Version',
      'Content-Type',
    ]);
    assert.deepEqual(values(raw, 'subject'), ['s']);
  });

  it("replaces another list's List-*, Precedence and X-Loop fields with ours", () => {
    const original = crlf(
      'List-Id: <other.lists.example.net>',
      'List-Post: <mailto:other@lists.example.net>',
      'List-Unsubscribe: <mailto:other-leave@lists.example.net>',
      'Precedence: bulk',
      'X-Loop: other@lists.example.net',
      'From: alice@member.example',
      '',
      'body',
    );
    const raw = relay(original);
    assert.doesNotMatch(raw.toString(), /other|bulk/);
    assert.deepEqual(values(raw, 'x-loop'), [LIST_ADDRESS]);
    assert.deepEqual(values(raw, 'list-id'), ['"Example Security" <security.lists.example.org>']);
  });

  it('keeps bare LF line ends for a message stored with them', () => {
    const raw = relay(lf('From: alice@member.example', 'Bcc: x@elsewhere.example', 'Subject: s', '', 'body'));
    assert.equal(
      raw.toString(),
      `List-Id: "Example Security" <security.lists.example.org>\nList-Post: <mailto:${LIST_ADDRESS}>\n` +
        `List-Help: <mailto:${REQUESTS_ADDRESS}?subject=help>\nPrecedence: list\nX-Loop: ${LIST_ADDRESS}\nReply-To: <${LIST_ADDRESS}>\n` +
        `From: "alice@member.example via Example Security"\n <${LIST_ADDRESS}>\nX-Original-From: alice@member.example\nTo: ${LIST_ADDRESS}\n` +
        'Subject: s\nDate: Tue, 10 Mar 2026 09:30:00 +0000\nMIME-Version: 1.0\n\nbody\n',
    );
  });

  it('drops a header line that has no field name, and an mbox "From " envelope line', () => {
    const raw = relay(
      crlf(
        'From alice@member.example Tue Mar 10 09:00:00 2026',
        'From: alice@member.example',
        'this line is no header',
        'Subject: s',
        '',
        'body',
      ),
    );
    assert.doesNotMatch(raw.toString(), /this line is no header|^From alice/m);
    for (const name of names(raw)) assert.match(name, /^[\x21-\x39\x3b-\x7e]+$/, `"${name}" is a valid field name`);
  });

  it('keeps a relayed copy readable as the same message', async () => {
    const original = makeMessage({
      from: 'Alice <alice@member.example>',
      to: LIST_ADDRESS,
      subject: 'Ünïcode subject',
      messageId: '<p@member.example>',
      body: 'Grüße\n',
    });
    const parsed = await simpleParser(relay(original));
    assert.equal(parsed.subject, 'Ünïcode subject');
    assert.equal(parsed.messageId, '<p@member.example>');
    assert.equal(parsed.text?.trim(), 'Grüße');
    assert.deepEqual(
      parsed.headerLines.filter((l) => l.key === 'list-id').map((l) => l.line),
      ['List-Id: "Example Security" <security.lists.example.org>'],
    );
  });

  describe('fields written twice or badly', () => {
    it('two From fields: no author is named, the copy is From the list alone, with or without the rewrite', async () => {
      const original = crlf(
        `From: Eve <${OUTSIDER}>`,
        'From: Alice <alice@member.example>',
        `To: ${LIST_ADDRESS}`,
        '',
        'body',
      );
      for (const rewriteFrom of [true, false]) {
        const raw = relay(original, rewriteFrom);
        assert.deepEqual(values(raw, 'from'), [`"a member via Example Security" <${LIST_ADDRESS}>`]);
        assert.deepEqual(values(raw, 'x-original-from'), []);
        assert.doesNotMatch(raw.toString(), /outsider|alice/);
      }
    });

    it('a From with two addresses, or none that is valid: no author either', () => {
      for (const from of [`alice@member.example, ${OUTSIDER}`, 'Alice <not-an-address>', 'undisclosed-recipients:;']) {
        const raw = relay(crlf(`From: ${from}`, 'Subject: s', '', 'body'), false);
        assert.deepEqual(values(raw, 'from'), [`"a member via Example Security" <${LIST_ADDRESS}>`], from);
      }
    });

    it('two Subjects: the first, once', () => {
      const raw = relay(crlf('From: alice@member.example', 'Subject: first', 'Subject: second', '', 'body'));
      assert.deepEqual(values(raw, 'subject'), ['first']);
    });

    it('two Message-IDs, In-Reply-Tos and Content-Types: the first of each, once', () => {
      const raw = relay(
        crlf(
          'From: alice@member.example',
          'Message-ID: <one@x>',
          'Message-ID: <two@x>',
          'In-Reply-To: <a@x>',
          'In-Reply-To: <b@x>',
          'Content-Type: text/plain',
          'Content-Type: multipart/mixed; boundary=zz',
          '',
          'body',
        ),
      );
      assert.deepEqual(
        [values(raw, 'message-id'), values(raw, 'in-reply-to'), values(raw, 'content-type')],
        [['<one@x>'], ['<a@x>'], ['text/plain']],
      );
    });

    it('a Subject whose encoded word decodes to CRLF and "Cc: ..." stays one Subject line, with no Cc', async () => {
      const raw = relay(
        crlf(
          'From: alice@member.example',
          `Subject: ${encodedWord(`hi\r\nCc: ${OUTSIDER}\r\nReply-To: ${OUTSIDER}`)}`,
          '',
          'body',
        ),
      );
      assert.deepEqual(values(raw, 'subject'), [`hi Cc: ${OUTSIDER} Reply-To: ${OUTSIDER}`]);
      const parsed = await simpleParser(raw);
      assert.equal(parsed.cc, undefined);
      assert.deepEqual(addresses(parsed.replyTo), [LIST_ADDRESS]);
    });

    it('control characters, C1 controls and Unicode line separators in a Subject become spaces', () => {
      const subject = encodedWord('a\u0000b\u0085c\u2028d\u2029e\u001bf\u007fg\u000bh');
      const raw = relay(crlf('From: alice@member.example', `Subject: ${subject}`, '', 'body'));
      assert.deepEqual(values(raw, 'subject'), ['a b c d e f g h']);
    });

    it('a References list with junk and an outsider address keeps only the message ids, the last 30', () => {
      const junk = `References: junk <a@x.example> ${OUTSIDER} (comment <c@evil>) <b@x.example> <<d@x.example>> <no-at> <e f@x.example> <=?utf-8?q?tk-abcdefghijklmnopqrstuvwxyz?=@x>`;
      assert.deepEqual(values(relay(crlf('From: alice@member.example', junk, '', 'body')), 'references'), [
        '<a@x.example> <c@evil> <b@x.example> <d@x.example>',
      ]);
      const many = Array.from({ length: 40 }, (_, i) => `<r${i}@x.example>`);
      const raw = relay(crlf('From: alice@member.example', `References: ${many.join('\r\n ')}`, '', 'body'));
      assert.deepEqual(values(raw, 'references')[0]!.split(/\s+/), many.slice(-30));
    });

    it('a Message-ID without angle brackets gets them; one that is no id, or hides an encoded word, is left out', () => {
      assert.deepEqual(
        values(
          relay(crlf('From: alice@member.example', 'Message-ID: bare-id@member.example', '', 'body')),
          'message-id',
        ),
        ['<bare-id@member.example>'],
      );
      assert.deepEqual(
        values(
          relay(crlf('From: alice@member.example', 'In-Reply-To: bare-id@member.example', '', 'body')),
          'in-reply-to',
        ),
        ['<bare-id@member.example>'],
      );
      for (const bad of ['not an id', '<no-at-sign>', '<a b@c>', '<=?UTF-8?B?Ig==?=@x>', 'a@b c@d', '<>']) {
        assert.deepEqual(
          values(relay(crlf('From: alice@member.example', `Message-ID: ${bad}`, '', 'body')), 'message-id'),
          [],
          bad,
        );
      }
    });

    it('a Date that cannot be read gets the time of relaying; a missing one too', () => {
      for (const date of ['Date: next tuesday, maybe', 'Date: ', 'Date: =?utf-8?q?2026?=']) {
        assert.deepEqual(
          values(relay(crlf('From: alice@member.example', date, '', 'body')), 'date'),
          ['Tue, 10 Mar 2026 09:30:00 +0000'],
          date,
        );
      }
      assert.deepEqual(values(relay(crlf('From: alice@member.example', '', 'body')), 'date'), [
        'Tue, 10 Mar 2026 09:30:00 +0000',
      ]);
    });

    it('a Content-Transfer-Encoding or Content-Disposition outside their few values is left out', () => {
      const raw = relay(
        crlf(
          'From: alice@member.example',
          'Content-Transfer-Encoding: x-evil',
          'Content-Disposition: evil; filename=x',
          '',
          'body',
        ),
      );
      assert.deepEqual([values(raw, 'content-transfer-encoding'), values(raw, 'content-disposition')], [[], []]);
    });

    it('a MIME parameter whose RFC 2231 value decodes to CRLF and "Cc: ..." stays inside its field', async () => {
      const raw = relay(
        crlf(
          'From: alice@member.example',
          `Content-Type: text/plain; name*=utf-8''x%0D%0ACc%3A%20${OUTSIDER.replace('@', '%40')}`,
          '',
          'body',
        ),
      );
      assert.equal(values(raw, 'cc').length, 0);
      assert.equal((await simpleParser(raw)).cc, undefined);
      assert.match(values(raw, 'content-type')[0]!, /^text\/plain; name/);
    });
  });

  describe('MIME structure', () => {
    const multipart = (boundary: string): Buffer =>
      crlf(
        'From: alice@member.example',
        `Subject: parts`,
        'MIME-Version: 1.0',
        `Content-Type: multipart/mixed;`,
        ` boundary="${boundary}"`,
        '',
        'preamble',
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'hello',
        `--${boundary}`,
        'Content-Type: application/octet-stream',
        'Content-Disposition: attachment; filename="poc.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        'AAECAw==',
        `--${boundary}--`,
      );

    for (const boundary of ['b1', '=_Part_0_12.34/x', "'()+_,-./:=? x", 'a'.repeat(70)]) {
      it(`keeps a boundary the body uses (${JSON.stringify(boundary.slice(0, 20))}): the copy parses to the same parts`, async () => {
        const original = multipart(boundary);
        const [before, after] = await Promise.all([simpleParser(original), simpleParser(relay(original))]);
        assert.equal(after.text, before.text);
        assert.equal(after.text?.trim(), 'hello');
        assert.deepEqual(
          after.attachments.map((a) => [a.filename, a.contentType, a.content.toString('hex')]),
          [['poc.bin', 'application/octet-stream', '00010203']],
        );
        assert.deepEqual(
          after.attachments.map((a) => a.checksum),
          before.attachments.map((a) => a.checksum),
        );
      });
    }

    it('drops a Content-Type whose boundary it would have to change, so the body is shown as text and never misread', async () => {
      const raw = relay(
        crlf(
          'From: alice@member.example',
          'Content-Type: multipart/mixed; boundary="a\\"b"',
          '',
          '--a"b',
          'Content-Type: text/html',
          '',
          '<b>x</b>',
          '--a"b--',
        ),
      );
      assert.deepEqual(values(raw, 'content-type'), []);
      assert.equal((await simpleParser(raw)).attachments.length, 0);
    });
  });

  describe('tokens of our format in the Subject come out defanged', () => {
    const cases: [string, string][] = [
      ['plain', 'Re: request tk-abcdefghijklmnopqrstuvwxyz'],
      ['upper case', 'Re: TK-ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
      ['inside an encoded word', encodedWord('Re: tk-abcdefghijklmnopqrstuvwxyz')],
      ['full-width', encodedWord('Re: ｔｋ－abcdefghijklmnopqrstuvwxyz')],
      ['with a zero-width space', encodedWord('Re: tk-\u200babcdefghijklmnopqrstuvwxyz')],
      ['in an encoded word written inside the subject text', 'Re: =?utf-8?q?tk-abcdefghijklmnopqrstuvwxyz?='],
    ];
    for (const [what, subject] of cases) {
      it(what, async () => {
        const raw = relay(crlf('From: alice@member.example', `Subject: ${subject}`, '', 'body'));
        const parsed = await simpleParser(raw);
        assert.doesNotMatch(parsed.subject ?? '', new RegExp(TOKEN_PATTERN.source, 'i'), parsed.subject);
        assert.match(parsed.subject ?? '', /tk_|TK_/i);
      });
    }

    it('leaves a subject without a token as it was (the control)', async () => {
      const parsed = await simpleParser(
        relay(crlf('From: alice@member.example', 'Subject: Re: [#3] CVE-2026-0001 tk-short', '', 'body')),
      );
      assert.equal(parsed.subject, 'Re: [#3] CVE-2026-0001 tk-short');
    });
  });

  describe("smuggled lines, read by mailparser and by Python's email package", function () {
    this.timeout(30_000);
    let python: PythonEmailReader;
    before(async () => {
      python = await PythonEmailReader.start();
    });
    after(() => python?.stop());

    const smuggled: [string, string[]][] = [
      ['a bare CR inside the Subject', [`Subject: hi\rCc: ${OUTSIDER}`]],
      ['a bare CR before a Reply-To', [`Subject: hi\rReply-To: ${OUTSIDER}`]],
      ['a bare LF inside the Subject', [`Subject: hi\nCc: ${OUTSIDER}`]],
      ['a NUL and a vertical tab', [`Subject: hi\0Cc: ${OUTSIDER}\x0bBcc: ${OUTSIDER}`]],
      ['"Cc :" with a space before the colon', ['Subject: hi', `Cc : ${OUTSIDER}`]],
      ['a bare CR inside the From', [`From: Alice <alice@member.example>\rReply-To: ${OUTSIDER}`]],
      ['an encoded word that decodes to CRLF and "Cc: ..."', [`Subject: ${encodedWord(`hi\r\nCc: ${OUTSIDER}`)}`]],
    ];

    for (const [what, lines] of smuggled) {
      it(`${what}: the copy names no outsider and both readers see the same fields`, async () => {
        const ownFrom = lines.some((l) => l.startsWith('From:'));
        const from = ownFrom ? [] : ['From: Alice <alice@member.example>'];
        const original = Buffer.from([...from, `To: ${LIST_ADDRESS}`, ...lines, '', 'body', ''].join('\r\n'), 'latin1');
        for (const rewriteFrom of [true, false]) {
          const raw = relay(original, rewriteFrom);
          const [parsed, py] = await Promise.all([simpleParser(raw), python.read(raw)]);
          const mp = parsed.headerLines.map((l) => l.key);
          assert.deepEqual(
            py.compat32.names.map((n) => n.toLowerCase()),
            mp,
          );
          assert.deepEqual(
            py.default.names.map((n) => n.toLowerCase()),
            mp,
          );
          for (const name of ['cc', 'bcc', 'sender', 'errors-to']) assert.ok(!mp.includes(name), `no ${name}`);
          const named = py.compat32.addresses
            .flat()
            .filter((a) => a !== null)
            .map((a) => a![1]);
          // The list (From, Reply-To, To, X-Loop, List-Post), the requests address (List-Help) and the author (X-Original-From, or
          // From); a From with a bare CR in it names no author at all.
          const expected = ownFrom
            ? [LIST_ADDRESS, REQUESTS_ADDRESS]
            : [LIST_ADDRESS, 'alice@member.example', REQUESTS_ADDRESS];
          assert.deepEqual([...new Set(named)].sort(), expected.sort(), `rewriteFrom ${rewriteFrom}`);
          assert.doesNotMatch(
            raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1'),
            // eslint-disable-next-line no-control-regex -- NUL and VT are what must not be there
            /[\0\x0b]|\r(?!\n)|(?<!\r)\n/,
          );
        }
      });
    }
  });

  describe('the From rewrite (relay.fromRewrite)', () => {
    /** A post whose From field is `from` (written as UTF-8 bytes, as it comes), relayed. */
    const relayFrom = (from: string, c = config): Buffer =>
      relay(
        Buffer.from(`From: ${from}\r\nTo: ${LIST_ADDRESS}\r\nSubject: s\r\n\r\nbody\r\n`, 'utf8'),
        c.relay.fromRewrite !== 'never',
        c,
      );
    /** An encoded word inside a quoted string, which RFC 2047 section 5 forbids and readers show as it is. */
    const QUOTED_ENCODED_WORD = /"[^"]*=\?[^?"]+\?[BbQq]\?[^"]*"/;

    it('writes From as "Name via the list" at the list address, and the author as X-Original-From', async () => {
      const raw = relayFrom('Alice <alice@member.example>');
      assert.deepEqual(fields(raw, 'from'), [`From: "Alice via Example Security" <${LIST_ADDRESS}>\r\n`]);
      assert.deepEqual(fields(raw, 'x-original-from'), ['X-Original-From: "Alice" <alice@member.example>\r\n']);
      const parsed = await simpleParser(raw);
      assert.deepEqual(parsed.from?.value, [{ address: LIST_ADDRESS, name: 'Alice via Example Security' }]);
      assert.deepEqual(parsed.replyTo?.value, [{ address: LIST_ADDRESS, name: '' }]);
    });

    it('unfolds a folded From into one X-Original-From line', () => {
      const raw = relayFrom('Alice\r\n <alice@member.example>');
      assert.deepEqual(fields(raw, 'x-original-from'), ['X-Original-From: "Alice" <alice@member.example>\r\n']);
      assert.deepEqual(fields(raw, 'from'), [`From: "Alice via Example Security" <${LIST_ADDRESS}>\r\n`]);
    });

    it("writes the author's From anew and adds no X-Original-From with fromRewrite: never", async () => {
      const never = testConfig('relay: { fromRewrite: never }');
      assert.equal(never.relay.fromRewrite, 'never');
      const original = makeMessage({
        from: 'Alice <alice@member.example>',
        to: `${LIST_ADDRESS}, ${OUTSIDER}`,
        subject: 'hi',
        body: 'text\n',
      });
      const raw = relayFrom('Alice <alice@member.example>', never);
      assert.deepEqual(fields(raw, 'from'), ['From: "Alice" <alice@member.example>\r\n']);
      assert.deepEqual(fields(raw, 'x-original-from'), []);
      // Everything else is as with the rewrite: To the list, replies to the list, no outsider.
      const copy = composeRelay(original, never, undefined, NOW).raw;
      assert.deepEqual(names(copy), [
        ...LIST_FIELDS,
        'From',
        'To',
        'Subject',
        'Date',
        'Message-ID',
        'MIME-Version',
        'Content-Type',
        'Content-Transfer-Encoding',
      ]);
      const parsed = await simpleParser(copy);
      assert.deepEqual(addresses(parsed.to), [LIST_ADDRESS]);
      assert.deepEqual(parsed.replyTo?.value, [{ address: LIST_ADDRESS, name: '' }]);
    });

    it("takes out the quotes and backslashes of the author's name, so that each phrase stays one quoted string", async () => {
      const raw = relayFrom('"Al\\"ice \\\\ the \\"Great\\"" <alice@member.example>');
      assert.match(
        fields(raw, 'from')[0]!,
        new RegExp(`^From: "[^"\\\\]+ via Example Security" <${LIST_ADDRESS}>\r\n$`),
      );
      assert.deepEqual(fields(raw, 'x-original-from'), [
        'X-Original-From: "Alice the Great" <alice@member.example>\r\n',
      ]);
      const parsed = await simpleParser(raw);
      assert.deepEqual(
        parsed.from?.value.map((a) => a.address),
        [LIST_ADDRESS],
      );
      assert.doesNotMatch(parsed.from!.value[0]!.name, /["\\]/);
    });

    it('unfolds a name that spans lines: one From line, no field of its own for what followed the line break', async () => {
      const raw = relayFrom(`"Alice\r\n Bcc: ${OUTSIDER}" <alice@member.example>`);
      assert.deepEqual(fields(raw, 'from'), [
        `From: "Alice Bcc: ${OUTSIDER} via Example Security"\r\n <${LIST_ADDRESS}>\r\n`,
      ]);
      assert.deepEqual(fields(raw, 'bcc'), []);
      const parsed = await simpleParser(raw);
      assert.deepEqual(
        parsed.from?.value.map((a) => a.address),
        [LIST_ADDRESS],
      );
      assert.equal(parsed.bcc, undefined);
    });

    it('decodes an encoded-word name before cleaning it: no line break or quote of it reaches the reader', async () => {
      const raw = relayFrom(`${encodedWord(`Alice"\r\nBcc: ${OUTSIDER}`)} <alice@member.example>`);
      assert.equal(fields(raw, 'from').length, 1);
      assert.doesNotMatch(fields(raw, 'from')[0]!, QUOTED_ENCODED_WORD);
      const parsed = await simpleParser(raw);
      assert.deepEqual(
        parsed.from?.value.map((a) => a.address),
        [LIST_ADDRESS],
      );
      assert.equal(parsed.from!.value[0]!.name, `Alice Bcc: ${OUTSIDER} via Example Security`);
      assert.equal(parsed.bcc, undefined);
    });

    it('writes a non-ASCII name sent as an encoded word as an encoded word again, not inside quotes', async () => {
      const raw = relayFrom('=?UTF-8?B?w4Rsw69jZSBNw7xsbGVy?= <alice@member.example>');
      assert.doesNotMatch(fields(raw, 'from')[0]!, QUOTED_ENCODED_WORD);
      assert.match(
        raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1'),
        /^[\x20-\x7e\r\n]+$/,
        'only ASCII in the header',
      );
      assert.deepEqual((await simpleParser(raw)).from?.value, [
        { address: LIST_ADDRESS, name: 'Älïce Müller via Example Security' },
      ]);
    });

    it('writes a non-ASCII name sent as raw UTF-8 as encoded words that read back as the same name, in From and X-Original-From', async () => {
      const raw = relayFrom('Älïce Müller <alice@member.example>');
      assert.match(
        raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1'),
        /^[\x20-\x7e\r\n]+$/,
        'only ASCII in the header',
      );
      const parsed = await simpleParser(raw);
      assert.deepEqual(parsed.from?.value, [{ address: LIST_ADDRESS, name: 'Älïce Müller via Example Security' }]);
      assert.equal(libmime.decodeWords(values(raw, 'x-original-from')[0]!), 'Älïce Müller <alice@member.example>');
    });

    it('encodes a non-ASCII list name and still reads back the one list address', async () => {
      const accented = parseConfig(TEST_CONFIG_YAML.replace('name: Example Security', 'name: Sécurité Liste'), 'test');
      const raw = relayFrom('Alice <alice@member.example>', accented);
      assert.match(fields(raw, 'from').join(''), /^From: [\x20-\x7e\r\n]+$/);
      assert.deepEqual((await simpleParser(raw)).from?.value, [
        { address: LIST_ADDRESS, name: 'Alice via Sécurité Liste' },
      ]);
    });

    it('keeps an address written inside a quoted non-ASCII name from becoming the From or the author', async () => {
      const raw = relayFrom(`"Jörg, <${OUTSIDER}>" <alice@member.example>`);
      const parsed = await simpleParser(raw);
      assert.deepEqual(
        parsed.from?.value.map((a) => a.address),
        [LIST_ADDRESS],
        fields(raw, 'from')[0],
      );
      assert.equal(parsed.from!.value[0]!.name, `Jörg, <${OUTSIDER}> via Example Security`);
      assert.match(values(raw, 'x-original-from')[0]!, /<alice@member\.example>$/);
    });

    it('drops an X-Original-From the author wrote, so that the only one names the real author', () => {
      const raw = relay(
        crlf(
          'X-Original-From: ceo@vendor.example',
          'From: Alice <alice@member.example>',
          'X-Original-From: cfo@vendor.example',
          `To: ${LIST_ADDRESS}`,
          '',
          'body',
        ),
      );
      assert.deepEqual(fields(raw, 'x-original-from'), ['X-Original-From: "Alice" <alice@member.example>\r\n']);
    });

    it('names "a member" and adds no X-Original-From for a post without From', () => {
      const raw = relay(crlf(`To: ${LIST_ADDRESS}`, 'Subject: s', '', 'body'));
      assert.deepEqual(values(raw, 'from'), [`"a member via Example Security" <${LIST_ADDRESS}>`]);
      assert.deepEqual(values(raw, 'x-original-from'), []);
    });
  });

  describe('listHeaders', () => {
    it('strips quotes, backslashes and line breaks of the list name from List-Id', () => {
      const hostile = parseConfig(
        TEST_CONFIG_YAML.replace('name: Example Security', 'name: "Evil \\"List\\"\\\\\\r\\nBcc: x@evil.example"'),
        'test',
      );
      const listId = listHeaders(hostile).find(([n]) => n === 'List-Id')![1];
      assert.doesNotMatch(listId, /[\r\n\\]/);
      assert.equal(listId, '"Evil List Bcc: x@evil.example" <security.lists.example.org>');
    });

    it('names the configured bounce address nowhere but the envelope', () => {
      const custom = parseConfig(
        TEST_CONFIG_YAML.replace('moderators:', 'bounceAddress: bounces@lists.example.org\n  moderators:'),
        'test',
      );
      const { raw, envelopeFrom } = composeRelay(
        makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }),
        custom,
      );
      assert.equal(envelopeFrom, 'bounces@lists.example.org');
      assert.doesNotMatch(raw.toString(), /bounces@/);
    });
  });
});
