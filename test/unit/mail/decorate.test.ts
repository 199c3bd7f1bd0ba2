import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import { decorate, type Decoration } from '../../../src/mail/decorate';
import { splitMessage } from '../../../src/message/headers';
import { crlf, encodedWord, lf } from '../../helpers/raw-mail';

const PREFIX = '[SEC]';
const FOOTER = 'You are on the embargoed list. Do not forward.\nhttps://lists.example.org/sec/ – Grüße';
const both: Decoration = { subjectPrefix: PREFIX, footer: FOOTER };

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const boundaryOf = (p: ParsedMail): string => {
  const type = p.headers.get('content-type') as
    { value: string; params: Record<string, string | undefined> } | undefined;
  const boundary = type?.params.boundary;
  assert.ok(boundary, 'the result names its boundary');
  return boundary;
};

/** The parts of the top-level multipart, each as the bytes between its delimiters. */
async function partsOf(out: Buffer): Promise<Buffer[]> {
  const { eol } = splitMessage(out);
  const delimiter = `--${boundaryOf(await simpleParser(out))}`;
  const text = out.toString('latin1');
  const parts: Buffer[] = [];
  let start = text.indexOf(`${eol}${delimiter}${eol}`);
  assert.ok(start >= 0, 'the first delimiter is there');
  start += eol.length + delimiter.length + eol.length;
  for (;;) {
    const next = text.indexOf(`${eol}${delimiter}`, start);
    assert.ok(next >= 0, 'every part is closed by a delimiter');
    parts.push(out.subarray(start, next));
    const after = text.slice(next + eol.length + delimiter.length, next + eol.length + delimiter.length + 2);
    if (after === '--') return parts;
    start = next + eol.length + delimiter.length + eol.length;
  }
}

/** The first part must be the original entity: its MIME headers, a blank line, its body. */
async function assertFirstPartIsOriginal(original: Buffer, out: Buffer): Promise<void> {
  const { headers, body, eol } = splitMessage(original);
  const moved = headers.filter((h) => h.name.toLowerCase().startsWith('content-'));
  const declared = moved.some((h) => h.name.toLowerCase() === 'content-type')
    ? ''
    : `Content-Type: text/plain; charset=us-ascii${eol}`;
  const expected = Buffer.concat([Buffer.from(declared + moved.map((h) => h.raw).join('') + eol, 'latin1'), body]);
  const [first] = await partsOf(out);
  assert.ok(first);
  assert.ok(first.equals(expected), `first part:\n${first.toString('latin1')}`);
}

const plain = (...body: string[]): Buffer =>
  crlf(
    'Received: from mx.member.example by mx.lists.example.org;',
    '\tTue, 10 Mar 2026 09:00:00 +0000',
    'DKIM-Signature: v=1; a=rsa-sha256; d=member.example; h=from:to:subject;',
    ' b=abc123',
    'From: Alice <alice@member.example>',
    'To: sec@lists.example.org',
    'Subject: Heap overflow in libfoo',
    'Message-ID: <post-1@member.example>',
    'In-Reply-To: <post-0@member.example>',
    'References: <a@member.example>',
    ' <post-0@member.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    'X-Mailer: mutt',
    '',
    ...body,
  );

describe('mail/decorate', () => {
  describe('the footer', () => {
    it('keeps the text of a plain message and adds the footer as a second text part', async () => {
      const original = plain('The overflow is in parse_header().', '', '-- ', 'Alice');
      const out = decorate(original, both);
      const parsed = await simpleParser(out);
      assert.equal(parsed.text, `The overflow is in parse_header().\n\n-- \nAlice\n\n${FOOTER}`);
      const parts = await partsOf(out);
      assert.equal(parts.length, 2);
      const [first, second] = await Promise.all(parts.map((p) => simpleParser(p)));
      assert.equal(first?.text, 'The overflow is in parse_header().\n\n-- \nAlice\n');
      assert.equal(second?.text, FOOTER);
      assert.deepEqual(second?.headers.get('content-type'), { value: 'text/plain', params: { charset: 'utf-8' } });
      assert.equal(second?.headers.get('content-transfer-encoding'), 'quoted-printable');
      assert.deepEqual(second?.headers.get('content-disposition'), { value: 'inline', params: {} });
    });

    it('puts the original body bytes in the output verbatim', async () => {
      const original = plain('line one', 'line two with trailing space ', '.', 'From the start of a line');
      const out = decorate(original, both);
      assert.ok(out.indexOf(splitMessage(original).body) > 0);
      await assertFirstPartIsOriginal(original, out);
    });

    it('decodes a quoted-printable latin-1 body exactly as before', async () => {
      const original = crlf(
        'From: bob@member.example',
        'Subject: Umlaute',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Gr=FC=DFe aus K=F6ln, eine sehr lange Zeile die weich umgebrochen werden mu=',
        '=DF.',
        'Ende=20',
      );
      const before = await simpleParser(original);
      const [first] = await partsOf(decorate(original, both));
      assert.ok(first);
      const after = await simpleParser(first);
      assert.equal(after.text, before.text);
      assert.ok(after.text?.startsWith('Grüße aus Köln, eine sehr lange Zeile die weich umgebrochen werden muß.'));
    });

    it('decodes a base64 body exactly as before', async () => {
      const text = 'Ünïcödé in base64, 🔐 included.\r\n'.repeat(20);
      const original = crlf(
        'From: bob@member.example',
        'Subject: b64',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        ...(Buffer.from(text)
          .toString('base64')
          .match(/.{1,76}/g) ?? []),
      );
      const [first] = await partsOf(decorate(original, both));
      assert.ok(first);
      assert.equal((await simpleParser(first)).text, (await simpleParser(original)).text);
      await assertFirstPartIsOriginal(original, decorate(original, both));
    });

    it('keeps a multipart/alternative whole as the first part, both alternatives, and adds the footer after it', async () => {
      const original = crlf(
        'From: bob@member.example',
        'Subject: alt',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative; boundary="alt-1"',
        '',
        '--alt-1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Plain words.',
        '--alt-1',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Html <b>words</b>.</p>',
        '--alt-1--',
      );
      const out = decorate(original, both);
      await assertFirstPartIsOriginal(original, out);
      const parts = await partsOf(out);
      assert.equal(parts.length, 2);
      const [first, second] = await Promise.all(parts.map((p) => simpleParser(p)));
      assert.equal(first?.text, 'Plain words.');
      assert.equal(first?.html, '<p>Html <b>words</b>.</p>');
      assert.equal(second?.text, FOOTER);
      const whole = await simpleParser(out);
      assert.ok(whole.html && whole.html.includes('<p>Html <b>words</b>.</p>'));
      assert.ok(whole.text?.includes('Plain words.') && whole.text.endsWith(FOOTER));
    });

    it('passes attachments through untouched', async () => {
      const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(40_000), Buffer.from('\n%%EOF\n')]);
      const original = crlf(
        'From: bob@member.example',
        'Subject: report',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="mix-1"',
        '',
        '--mix-1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'See the attached report.',
        '--mix-1',
        'Content-Type: application/pdf; name="report.pdf"',
        'Content-Disposition: attachment; filename="report.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        ...(pdf.toString('base64').match(/.{1,76}/g) ?? []),
        '--mix-1--',
      );
      const out = decorate(original, both);
      const before = await simpleParser(original);
      const after = await simpleParser(out);
      assert.equal(after.attachments.length, 1);
      assert.equal(after.attachments[0]?.filename, 'report.pdf');
      assert.equal(sha256(after.attachments[0]?.content ?? Buffer.alloc(0)), sha256(pdf));
      assert.equal(
        sha256(after.attachments[0]?.content ?? Buffer.alloc(0)),
        sha256(before.attachments[0]?.content ?? Buffer.alloc(1)),
      );
      await assertFirstPartIsOriginal(original, out);
    });

    it('keeps a PGP/MIME signed body byte for byte as part one', async () => {
      const signed = [
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Signed text with a trailing space=20',
        'and a long line that is soft broken by the signer at seventy-six =',
        'characters.',
        '',
      ].join('\r\n');
      const original = crlf(
        'From: carol@member.example',
        'Subject: signed',
        'MIME-Version: 1.0',
        'Content-Type: multipart/signed; micalg=pgp-sha256;',
        ' protocol="application/pgp-signature"; boundary="sig-1"',
        '',
        'This is an OpenPGP/MIME signed message (RFC 4880 and 3156)',
        '--sig-1',
        signed,
        '--sig-1',
        'Content-Type: application/pgp-signature; name="signature.asc"',
        'Content-Disposition: attachment; filename="signature.asc"',
        '',
        '-----BEGIN PGP SIGNATURE-----',
        '',
        'iHUEARYIAB0WIQTexample',
        '=abcd',
        '-----END PGP SIGNATURE-----',
        '',
        '--sig-1--',
        '',
      );
      const out = decorate(original, both);
      await assertFirstPartIsOriginal(original, out);
      // The signed entity, as a verifier cuts it out (RFC 3156 5), is still there to the byte.
      assert.ok(out.indexOf(Buffer.from(`\r\n--sig-1\r\n${signed}\r\n--sig-1\r\n`)) > 0);
      const [first] = await partsOf(out);
      assert.ok(first);
      const inner = await simpleParser(first);
      assert.equal(
        inner.attachments.find((a) => a.contentType === 'application/pgp-signature')?.filename,
        'signature.asc',
      );
    });

    it('keeps an S/MIME signed body byte for byte as part one', async () => {
      const original = crlf(
        'From: dave@member.example',
        'Subject: smime',
        'MIME-Version: 1.0',
        'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="----s1"',
        '',
        'This is an S/MIME signed message',
        '',
        '------s1',
        'Content-Type: text/plain',
        '',
        'body',
        '',
        '------s1',
        'Content-Type: application/pkcs7-signature; name="smime.p7s"',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="smime.p7s"',
        '',
        randomBytes(300).toString('base64'),
        '',
        '------s1--',
        '',
      );
      await assertFirstPartIsOriginal(original, decorate(original, both));
    });

    it('moves every Content-* header of the message into the first part, verbatim and in order', async () => {
      const original = crlf(
        'From: bob@member.example',
        'Content-Type: text/plain;',
        '\tcharset="utf-8"; format=flowed',
        'Subject: s',
        'Content-Language: de',
        'Content-Description: =?UTF-8?Q?Beschreibung_=C3=BC?=',
        'Content-ID: <c1@x>',
        'Content-Location: http://x.example/',
        'content-transfer-encoding: 8bit',
        'Content-Disposition: inline',
        '',
        'Grüße',
      );
      const out = decorate(original, both);
      await assertFirstPartIsOriginal(original, out);
      const top = splitMessage(out).headers.map((h) => h.name.toLowerCase());
      assert.deepEqual(top, ['from', 'mime-version', 'content-type', 'content-transfer-encoding', 'subject']);
      assert.equal((await simpleParser(out)).headers.get('content-transfer-encoding'), '8bit');
    });

    it('says text/plain; charset=us-ascii in the first part of a message that had no Content-Type', async () => {
      const original = crlf('From: bob@member.example', 'Subject: old school', '', 'Just text.');
      const out = decorate(original, both);
      const [first] = await partsOf(out);
      assert.equal(first?.toString('latin1'), 'Content-Type: text/plain; charset=us-ascii\r\n\r\nJust text.\r\n');
      assert.equal(splitMessage(out).headers.filter((h) => h.name === 'MIME-Version').length, 1);
    });

    it('leaves every other header untouched and in place', () => {
      const original = plain('text');
      const out = decorate(original, { subjectPrefix: null, footer: FOOTER });
      const ours = new Set(['content-type', 'content-transfer-encoding']);
      const before = splitMessage(original).headers.filter((h) => !ours.has(h.name.toLowerCase()));
      const after = splitMessage(out).headers.filter((h) => !ours.has(h.name.toLowerCase()));
      assert.deepEqual(
        after.map((h) => h.raw),
        before.map((h) => h.raw),
      );
    });

    it('changes nothing but the Subject when there is no footer', () => {
      const original = plain('text');
      const out = decorate(original, { subjectPrefix: PREFIX, footer: null });
      const a = splitMessage(original);
      const b = splitMessage(out);
      assert.deepEqual(b.body, a.body);
      assert.deepEqual(
        b.headers.filter((h) => h.name !== 'Subject'),
        a.headers.filter((h) => h.name !== 'Subject'),
      );
      assert.deepEqual(decorate(original, { subjectPrefix: null, footer: null }), original);
    });
  });

  describe('the subject', () => {
    it('puts the prefix in front of the subject, before any Re:', async () => {
      const original = crlf('From: a@x', 'Subject: Re: Heap overflow', '', 'x');
      assert.equal((await simpleParser(decorate(original, both))).subject, '[SEC] Re: Heap overflow');
      const lines = splitMessage(decorate(original, both)).headers.map((h) => h.raw);
      assert.equal(lines[1], 'Subject: [SEC] Re: Heap overflow\r\n');
    });

    it('adds the prefix only once to "Re: [PREFIX] x"', () => {
      for (const subject of [
        'Re: [SEC] x',
        '[SEC] x',
        'AW: Re: [sec] x',
        'Fwd: RE[2]:  [SEC]x',
        `Re: ${encodedWord('[SEC] ünï')}`,
      ]) {
        const original = crlf('From: a@x', `Subject: ${subject}`, '', 'x');
        const out = decorate(original, { subjectPrefix: PREFIX, footer: null });
        assert.equal(splitMessage(out).headers[1]?.raw, `Subject: ${subject}\r\n`, subject);
      }
    });

    it('writes a UTF-8 subject as RFC 2047 encoded words, re-encoding an encoded original', async () => {
      const original = crlf('From: a@x', `Subject: Re: ${encodedWord('Grüße')} aus =?iso-8859-1?Q?K=F6ln?=`, '', 'x');
      const out = decorate(original, { subjectPrefix: '[Sécurité]', footer: null });
      const subject = splitMessage(out).headers[1]?.raw ?? '';
      assert.match(subject, /^Subject: [\x20-\x7e\r\n\t]+$/);
      assert.equal((await simpleParser(out)).subject, '[Sécurité] Re: Grüße aus Köln');
    });

    it('reads a raw 8-bit UTF-8 subject as UTF-8', async () => {
      const original = crlf('From: a@x', 'Subject: Grüße', '', 'x');
      const out = decorate(original, { subjectPrefix: PREFIX, footer: null });
      assert.ok(Buffer.from(splitMessage(out).headers[1]?.raw ?? '', 'latin1').every((b) => b < 0x80));
      assert.equal((await simpleParser(out)).subject, '[SEC] Grüße');
    });

    it('folds a long subject so that no line reaches 998 octets, and it still reads the same', async () => {
      const word = 'A'.repeat(3000);
      for (const subject of [word, `ü ${word}`, `${'Wörter '.repeat(400)}Ende`]) {
        const out = decorate(crlf('From: a@x', `Subject: ${subject}`, '', 'x'), {
          subjectPrefix: PREFIX,
          footer: null,
        });
        const field = splitMessage(out).headers[1]?.raw ?? '';
        for (const line of field.split('\r\n')) assert.ok(line.length < 998, `a line of ${line.length}`);
        assert.equal((await simpleParser(out)).subject, `${PREFIX} ${subject}`);
      }
    });

    it('adds a Subject with the prefix alone to a message without one', async () => {
      const out = decorate(crlf('From: a@x', '', 'x'), both);
      assert.equal((await simpleParser(out)).subject, PREFIX);
      assert.equal(splitMessage(out).headers.filter((h) => h.name === 'Subject').length, 1);
    });

    it('leaves the subject alone when there is no prefix', () => {
      const original = crlf('From: a@x', 'Subject: untouched', '', 'x');
      assert.deepEqual(decorate(original, { subjectPrefix: null, footer: null }), original);
      assert.deepEqual(decorate(original, { subjectPrefix: ' \r\n', footer: null }), original);
    });
  });

  describe('hostile input', () => {
    it('strips CR and LF from the prefix, so it cannot start a header of its own', async () => {
      const out = decorate(crlf('From: a@x', 'Subject: x', '', 'body'), {
        subjectPrefix: '[SEC]\r\nBcc: evil@x.example',
        footer: FOOTER,
      });
      const names = splitMessage(out).headers.map((h) => h.name.toLowerCase());
      assert.ok(!names.includes('bcc'), names.join());
      const parsed = await simpleParser(out);
      assert.equal(parsed.subject, '[SEC]Bcc: evil@x.example x');
      assert.equal(parsed.bcc, undefined);
    });

    it('does not let a subject whose encoded word holds CR/LF start a header', async () => {
      const original = crlf('From: a@x', `Subject: ${encodedWord('hi\r\nBcc: evil@x.example')}`, '', 'body');
      const out = decorate(original, both);
      assert.ok(!splitMessage(out).headers.some((h) => h.name.toLowerCase() === 'bcc'));
      assert.equal((await simpleParser(out)).bcc, undefined);
    });

    it('does not re-decode a subject that reads as an encoded word once decoded', async () => {
      const literal = '=?UTF-8?B?ZXZpbA==?=';
      const original = crlf('From: a@x', `Subject: ${encodedWord(literal)}`, '', 'x');
      assert.equal((await simpleParser(decorate(original, both))).subject, `${PREFIX} ${literal}`);
    });

    it('picks another boundary when the body holds a line that looks like the one it drew', async () => {
      const taken = '=_embargo-list_taken';
      const original = crlf('From: a@x', 'Subject: x', '', 'before', `--${taken}`, 'middle', `--${taken}--`, 'after');
      const draws = [taken, '=_embargo-list_free'];
      const out = decorate(original, both, { boundary: () => draws.shift() ?? 'unreachable' });
      assert.equal(boundaryOf(await simpleParser(out)), '=_embargo-list_free');
      await assertFirstPartIsOriginal(original, out);
      assert.equal((await simpleParser(out)).text, `before\n--${taken}\nmiddle\n--${taken}--\nafter\n\n${FOOTER}`);
    });

    it('keeps a body whose lines look like boundaries of the kind it draws whole', async () => {
      const original = crlf(
        'From: a@x',
        'Subject: x',
        '',
        '--=_embargo-list_0123456789abcdef0123456789abcdef',
        '--',
        '----',
        'end',
      );
      const out = decorate(original, both);
      await assertFirstPartIsOriginal(original, out);
      assert.equal((await partsOf(out)).length, 2);
    });

    it('decorates a message without a body', async () => {
      const original = crlf('From: a@x', 'Subject: empty', '');
      const out = decorate(original, both);
      assert.equal(splitMessage(original).body.length, 0);
      const [first, second] = await partsOf(out);
      assert.equal(first?.toString('latin1'), 'Content-Type: text/plain; charset=us-ascii\r\n\r\n');
      assert.equal((await simpleParser(second ?? Buffer.alloc(0))).text, FOOTER);
    });

    it('decorates a header-only message without a blank line', async () => {
      for (const original of [
        Buffer.from('From: a@x\r\nSubject: only'),
        Buffer.from('From: a@x\r\nSubject: only\r\n'),
      ]) {
        const out = decorate(original, both);
        const parsed = await simpleParser(out);
        assert.equal(parsed.subject, '[SEC] only');
        const [first, second] = await partsOf(out);
        assert.equal(first?.toString('latin1'), 'Content-Type: text/plain; charset=us-ascii\r\n\r\n');
        assert.equal((await simpleParser(second ?? Buffer.alloc(0))).text, FOOTER);
        assert.equal(out.toString('latin1').replace(/\r\n/g, '').includes('\n'), false, 'CRLF throughout');
      }
    });

    it('keeps LF line ends in a message stored with them, header-only ones included', async () => {
      for (const original of [
        lf('From: a@x', 'Subject: stored', 'Content-Type: text/plain; charset=utf-8', '', 'line one', 'line two'),
        Buffer.from('From: a@x\nSubject: stored\n'),
      ]) {
        const out = decorate(original, both);
        assert.equal(out.includes('\r'), false);
        assert.equal(splitMessage(out).eol, '\n');
        const parsed = await simpleParser(out);
        assert.equal(parsed.subject, '[SEC] stored');
        assert.ok(parsed.text?.endsWith(FOOTER));
      }
      const original = lf(
        'From: a@x',
        'Subject: stored',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'line one',
        'line two',
      );
      await assertFirstPartIsOriginal(original, decorate(original, both));
    });

    it('keeps every byte of a body that comes right after an empty header', async () => {
      const original = Buffer.from('\r\nNo header at all.\r\n');
      const out = decorate(original, both);
      const [first] = await partsOf(out);
      assert.equal(
        first?.toString('latin1'),
        'Content-Type: text/plain; charset=us-ascii\r\n\r\nNo header at all.\r\n',
      );
    });

    it('finishes a 5 MB body, boundary look-alikes and all, and keeps it whole', async () => {
      const line = '--=_embargo-list_ looks like a boundary, but is not one. Grüße\r\n';
      const body = line.repeat(Math.ceil((5 * 1024 * 1024) / Buffer.byteLength(line)));
      const original = Buffer.concat([
        crlf('From: a@x', 'Subject: big', 'Content-Type: text/plain; charset=utf-8', ''),
        Buffer.from(body),
      ]);
      const out = decorate(original, both);
      assert.ok(out.length < original.length + 1024);
      assert.ok(out.indexOf(Buffer.from(body)) > 0);
      const [first] = await partsOf(out);
      assert.equal(first?.length, Buffer.byteLength(body) + 'Content-Type: text/plain; charset=utf-8\r\n\r\n'.length);
    });
  });
});
