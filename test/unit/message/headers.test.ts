import assert from 'node:assert/strict';
import { headerSafe, headerValue, joinMessage, splitMessage, unfold } from '../../../src/message/headers';

describe('message/headers', () => {
  describe('splitMessage', () => {
    it('splits a CRLF message into its fields and its untouched body', () => {
      const raw = Buffer.from('From: a@example.org\r\nSubject: hi\r\n\r\nline 1\r\n\r\nline 2\r\n');
      const { headers, body, eol } = splitMessage(raw);
      assert.deepEqual(
        headers.map((h) => h.name),
        ['From', 'Subject'],
      );
      assert.equal(headers[1]!.raw, 'Subject: hi\r\n');
      assert.equal(body.toString(), 'line 1\r\n\r\nline 2\r\n');
      assert.equal(eol, '\r\n');
    });

    it('splits a message stored with bare LF and reports LF', () => {
      const { headers, body, eol } = splitMessage(Buffer.from('From: a@example.org\nTo: b@example.org\n\nbody\n'));
      assert.deepEqual(
        headers.map((h) => h.name),
        ['From', 'To'],
      );
      assert.equal(body.toString(), 'body\n');
      assert.equal(eol, '\n');
    });

    it('keeps a folded field as one field, folding included', () => {
      const { headers } = splitMessage(
        Buffer.from('References: <a@x>\r\n <b@x>\r\n\t<c@x>\r\nFrom: a@example.org\r\n\r\n'),
      );
      assert.equal(headers.length, 2);
      assert.equal(headers[0]!.raw, 'References: <a@x>\r\n <b@x>\r\n\t<c@x>\r\n');
    });

    it('treats a message without a blank line as all header and no body', () => {
      const { headers, body } = splitMessage(Buffer.from('From: a@example.org\r\nSubject: no end'));
      assert.deepEqual(
        headers.map((h) => h.raw),
        ['From: a@example.org\r\n', 'Subject: no end\r\n'],
      );
      assert.equal(body.length, 0);
    });

    it('keeps 8-bit bytes in header fields and body exactly', () => {
      const raw = Buffer.concat([
        Buffer.from('Subject: '),
        Buffer.from([0xc3, 0xa9, 0xff]),
        Buffer.from('\r\n\r\n'),
        Buffer.from([0x00, 0xfe, 0x0d, 0x0a]),
      ]);
      const { headers, body, eol } = splitMessage(raw);
      assert.deepEqual(joinMessage(headers, body, eol), raw);
    });

    it('gives a line without a colon an empty name', () => {
      const { headers } = splitMessage(Buffer.from('From: a@example.org\r\nnot a header line\r\n\r\nbody'));
      assert.deepEqual(
        headers.map((h) => h.name),
        ['From', ''],
      );
    });
  });

  describe('joinMessage', () => {
    it('puts a split message back together byte for byte', () => {
      const raw = Buffer.from('Received: from x\r\n\tby y\r\nFrom: a@example.org\r\nSubject: s\r\n\r\nbody\r\n.\r\n');
      const { headers, body, eol } = splitMessage(raw);
      assert.deepEqual(joinMessage(headers, body, eol), raw);
    });

    it('puts an LF message back together byte for byte', () => {
      const raw = Buffer.from('From: a@example.org\nSubject: s\n\nbody\n');
      const { headers, body, eol } = splitMessage(raw);
      assert.deepEqual(joinMessage(headers, body, eol), raw);
    });
  });

  describe('headerValue and unfold', () => {
    it('gives the unfolded, trimmed value of a field', () => {
      const { headers } = splitMessage(Buffer.from('Subject:  a long\r\n subject\r\n\r\n'));
      assert.equal(headerValue(headers[0]!), 'a long subject');
    });

    it('unfolds CRLF and LF folding and drops a final line end', () => {
      assert.equal(unfold('a\r\n b\n\tc\r\n'), 'a b\tc');
    });

    it('keeps a colon inside the value', () => {
      const { headers } = splitMessage(Buffer.from('Subject: Re: re: x\r\n\r\n'));
      assert.equal(headerValue(headers[0]!), 'Re: re: x');
    });
  });

  describe('headerSafe', () => {
    it('leaves ordinary text alone', () => {
      assert.equal(
        headerSafe('Re: [CVE-2026-1234] heap overflow in ünïcode'),
        'Re: [CVE-2026-1234] heap overflow in ünïcode',
      );
    });

    it('turns CR/LF into a space so that no text can start a header of its own', () => {
      const safe = headerSafe('hello\r\nBcc: attacker@evil.example');
      assert.equal(safe, 'hello Bcc: attacker@evil.example');
      assert.doesNotMatch(safe, /[\r\n]/);
    });

    it('removes bare CR, bare LF, NUL, DEL and other control characters', () => {
      assert.equal(headerSafe('a\rb\nc\u0000d\u007fe\u001bf\tg'), 'a b c d e f g');
    });

    it('collapses runs of whitespace and trims', () => {
      assert.equal(headerSafe('  a \r\n\r\n   b  '), 'a b');
    });
  });
});
