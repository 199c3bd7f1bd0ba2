import assert from 'node:assert/strict';
import libmime from 'libmime';
import { field, mimeValue, oneLine, phrase, readRelayFields, text } from '../../../src/mail/relay-headers';
import { crlf, encodedWord, lf } from '../../helpers/raw-mail';

const OUTSIDER = 'outsider@evil.example';
const read = (...lines: string[]) => readRelayFields(crlf(...lines, '', 'body'));

describe('mail/relay-headers', () => {
  describe('readRelayFields', () => {
    it('reads every field of the allow-list into parsed values', () => {
      const f = read(
        'From: Alice <alice@member.example>',
        'Subject: =?UTF-8?B?w4RwZmVs?= and pears',
        'Date: Tue, 10 Mar 2026 10:00:00 +0100',
        'Message-ID: <m@member.example>',
        'In-Reply-To: <p@member.example>',
        'References: <a@x>',
        ' <p@member.example>',
        'Content-Type: Multipart/Mixed; boundary="=_b/1"; charset=UTF-8',
        'Content-Transfer-Encoding: 7BIT',
        'Content-Disposition: inline',
      );
      assert.deepEqual(f, {
        author: { name: 'Alice', address: 'alice@member.example' },
        subject: 'Äpfel and pears',
        date: new Date('2026-03-10T09:00:00Z'),
        messageId: '<m@member.example>',
        inReplyTo: '<p@member.example>',
        references: ['<a@x>', '<p@member.example>'],
        contentType: { value: 'multipart/mixed', params: { boundary: '=_b/1', charset: 'UTF-8' } },
        contentTransferEncoding: '7bit',
        contentDisposition: { value: 'inline', params: {} },
      });
    });

    it('reads nothing from a header without those fields', () => {
      assert.deepEqual(read(`Cc: ${OUTSIDER}`, `Reply-To: ${OUTSIDER}`, 'X-Whatever: 1'), {
        author: null,
        subject: null,
        date: null,
        messageId: null,
        inReplyTo: null,
        references: [],
        contentType: null,
        contentTransferEncoding: null,
        contentDisposition: null,
      });
    });

    it('reads the first of fields written twice, whatever their case', () => {
      const f = read(
        'subject: one',
        'From: alice@member.example',
        'SUBJECT: two',
        'message-id: <1@x>',
        'Message-Id: <2@x>',
      );
      assert.equal(f.subject, 'one');
      assert.equal(f.messageId, '<1@x>');
    });

    it('reads fields of a message stored with LF line ends, raw UTF-8 decoded', () => {
      const f = readRelayFields(lf('From: Jörg <jorg@member.example>', 'Subject: Grüße', '', 'body'));
      assert.deepEqual([f.author, f.subject], [{ name: 'Jörg', address: 'jorg@member.example' }, 'Grüße']);
    });

    describe('the author', () => {
      it('is no one when there are two From fields, whichever comes first', () => {
        assert.equal(read(`From: ${OUTSIDER}`, 'From: alice@member.example').author, null);
        assert.equal(read('From: alice@member.example', `From: ${OUTSIDER}`).author, null);
      });

      it('is no one for a From with two addresses, a group, or no valid address', () => {
        for (const from of [
          `alice@member.example, ${OUTSIDER}`,
          `team: alice@member.example, ${OUTSIDER};`,
          'Alice <not-an-address>',
          'undisclosed-recipients:;',
          '',
        ]) {
          assert.equal(read(`From: ${from}`).author, null, from);
        }
      });

      it('is no one for a From with a bare CR, a NUL or another control character left in it', () => {
        for (const c of ['\r', '\0', '\x0b', '\x1b']) {
          assert.equal(
            read(`From: Alice <alice@member.example>${c}Reply-To: ${OUTSIDER}`).author,
            null,
            JSON.stringify(c),
          );
        }
      });

      it('has a name decoded from encoded words, on one line, without control characters', () => {
        assert.deepEqual(
          read(`From: ${encodedWord(`Alice\r\nBcc: ${OUTSIDER}\u0085\u2028x`)} <alice@member.example>`).author,
          { name: `Alice Bcc: ${OUTSIDER} x`, address: 'alice@member.example' },
        );
      });

      it('is the address in angle brackets, not one written in the name', () => {
        assert.equal(read(`From: "${OUTSIDER}" <alice@member.example>`).author?.address, 'alice@member.example');
        assert.equal(
          read(`From: ${encodedWord(`<${OUTSIDER}>`)} <alice@member.example>`).author?.address,
          'alice@member.example',
        );
      });
    });

    describe('the subject', () => {
      it('is one line: encoded CRLF, NUL, C1 controls and Unicode line separators become spaces', () => {
        assert.equal(
          read(`Subject: ${encodedWord(`hi\r\nCc: ${OUTSIDER}\0\u0085\u2028\u2029end`)}`).subject,
          `hi Cc: ${OUTSIDER} end`,
        );
      });

      it('is unfolded, the tab of the fold a space', () => {
        assert.equal(read('Subject: a long', '\tsubject').subject, 'a long subject');
      });
    });

    describe('dates', () => {
      it('reads a date in another zone as the same instant; none that cannot be read', () => {
        assert.deepEqual(read('Date: Tue, 10 Mar 2026 10:00:00 +0100').date, new Date('2026-03-10T09:00:00Z'));
        for (const d of ['next tuesday', '', '=?utf-8?q?2026?=', 'Tue, 99 Foo 2026'])
          assert.equal(read(`Date: ${d}`).date, null, d);
      });
    });

    describe('message ids', () => {
      it('brackets one bare id, as mailparser reads it', () => {
        assert.equal(read('Message-ID: bare@member.example').messageId, '<bare@member.example>');
        assert.equal(read('In-Reply-To:  bare@member.example ').inReplyTo, '<bare@member.example>');
      });

      it('refuses ids that are no ids: no @, spaces, encoded words, several bare ones, empty brackets', () => {
        for (const v of ['junk', '<no-at>', '<a b@c>', '<=?utf-8?q?tk-abc?=@x>', 'a@b c@d', '<>', 'b>c@d>']) {
          assert.equal(read(`Message-ID: ${v}`).messageId, null, v);
        }
      });

      it('keeps ids in RFC 5322 shape, a domain literal included', () => {
        for (const v of ['<CAF+x=y_z@mail.gmail.com>', "<a!#$%&'*+/=^_`{|}~-.b@[192.0.2.1]>"])
          assert.equal(read(`Message-ID: ${v}`).messageId, v);
      });

      it('keeps the ids of References and drops what is around them, the last 30', () => {
        assert.deepEqual(read(`References: junk <a@x> ${OUTSIDER} "<b@x>" (c) <c@x>`).references, [
          '<a@x>',
          '<b@x>',
          '<c@x>',
        ]);
        const ids = Array.from({ length: 35 }, (_, i) => `<r${i}@x>`);
        assert.deepEqual(read(`References: ${ids.join(' ')}`).references, ids.slice(5));
      });
    });

    describe('MIME fields', () => {
      it('keeps a boundary byte for byte, and refuses the whole Content-Type when it holds a character a boundary may not have', () => {
        assert.deepEqual(
          read('Content-Type: multipart/mixed; boundary="Ab9\'()+_,-./:=? z"').contentType?.params.boundary,
          "Ab9'()+_,-./:=? z",
        );
        for (const b of ['"a\\"b"', '"a\\\\b"', '"a;b"', `"${'x'.repeat(71)}"`, '"ü"', '""']) {
          assert.equal(read(`Content-Type: multipart/mixed; boundary=${b}`).contentType, null, b);
        }
      });

      it('refuses a Content-Type that is not type/subtype', () => {
        for (const v of ['text', 'text/', '/plain', 'text/plain/x', 'te xt/plain', `text/plain Cc: ${OUTSIDER}`]) {
          assert.equal(read(`Content-Type: ${v}`).contentType, null, v);
        }
      });

      it('cleans a parameter that decodes (RFC 2231) to a line break', () => {
        const f = read(`Content-Type: text/plain; name*=utf-8''x%0D%0ACc%3A%20${OUTSIDER.replace('@', '%40')}`);
        assert.deepEqual(f.contentType, { value: 'text/plain', params: { name: `x Cc: ${OUTSIDER}` } });
      });

      it('reads Content-Transfer-Encoding from its five values and Content-Disposition from its two, nothing else', () => {
        for (const v of ['7bit', '8bit', 'binary', 'quoted-printable', 'base64'])
          assert.equal(read(`Content-Transfer-Encoding: ${v.toUpperCase()}`).contentTransferEncoding, v);
        for (const v of ['x-uuencode', 'base64 x', ''])
          assert.equal(read(`Content-Transfer-Encoding: ${v}`).contentTransferEncoding, null, v);
        assert.equal(
          read('Content-Disposition: attachment; filename="a.txt"').contentDisposition?.params.filename,
          'a.txt',
        );
        assert.equal(read('Content-Disposition: evil; filename="a.txt"').contentDisposition, null);
      });
    });
  });

  describe('writing', () => {
    it('oneLine turns C0 and C1 controls and line separators into single spaces', () => {
      assert.equal(oneLine('a\r\nb\0c\u0085d\u2028e\u2029f\u007f  g '), 'a b c d e f g');
    });

    it('phrase quotes printable ASCII without its quotes and backslashes, and encodes the rest', () => {
      assert.equal(phrase('Al"ice \\ B'), '"Alice B"');
      assert.equal(phrase('Alice\r\nBcc: x'), '"Alice Bcc: x"');
      const encoded = phrase('Jörg "J" <x@y>');
      assert.match(encoded, /^=\?UTF-8\?Q\?[\x21-\x7e ]+\?=$/);
      assert.equal(libmime.decodeWords(encoded), 'Jörg "J" <x@y>');
    });

    it('phrase and text write a run too long to fold as encoded words, so that no line passes 998 octets', () => {
      for (const written of [phrase('A'.repeat(1500)), text('x'.repeat(1500))]) {
        assert.ok(
          written.split(' ').every((w) => w.length <= 75),
          'words of at most 75 characters',
        );
        assert.ok(
          field('Subject', written)
            .split('\r\n')
            .every((l) => l.length <= 998),
        );
        assert.match(libmime.decodeWords(written), /^(A{1500}|x{1500})$/);
      }
    });

    it('text leaves plain ASCII as it is and encodes non-ASCII words', () => {
      assert.equal(text('Re: [#3] CVE-2026-0001'), 'Re: [#3] CVE-2026-0001');
      assert.equal(libmime.decodeWords(text('Grüße aus Köln')), 'Grüße aus Köln');
      assert.match(text('Grüße aus Köln'), /^[\x20-\x7e]+$/);
    });

    it('field folds at 76 characters with no white space left at a line end', () => {
      const written = field(
        'References',
        Array.from({ length: 10 }, (_, i) => `<message-${i}@member.example>`).join(' '),
      );
      for (const line of written.split('\r\n')) {
        assert.ok(line.length <= 76, line);
        assert.doesNotMatch(line, /[ \t]$/);
      }
      assert.equal(
        written.replace(/\r\n/g, ''),
        `References: ${Array.from({ length: 10 }, (_, i) => `<message-${i}@member.example>`).join(' ')}`,
      );
    });

    it('mimeValue writes type and parameters, quoting where needed and encoding non-ASCII (RFC 2231)', () => {
      assert.equal(
        mimeValue({ value: 'multipart/mixed', params: { boundary: '=_b/1' } }),
        'multipart/mixed; boundary="=_b/1"',
      );
      assert.match(
        mimeValue({ value: 'text/plain', params: { name: 'Grüße.txt' } }),
        /^text\/plain; name\*0?\*=utf-8''Gr%C3%BC%C3%9Fe\.txt$/,
      );
    });
  });
});
