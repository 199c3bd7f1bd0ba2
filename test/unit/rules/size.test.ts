import assert from 'node:assert/strict';
import { readHeaderOnly, UNKNOWN_SENDER } from '../../../src/message/header-only';
import { countMimeParts, tooLarge, tooManyParts } from '../../../src/rules/size';
import { LIST_ADDRESS, snapshotWith } from '../../helpers/context';
import { crlf } from '../../helpers/raw-mail';

const snap = snapshotWith({ maxMessageBytes: 400, maxMimeParts: 3 });
const sized = (bytes: number): Buffer => {
  const head = crlf('From: alice@member.example', `To: ${LIST_ADDRESS}`, 'Subject: big', '', '');
  return Buffer.concat([head, Buffer.alloc(bytes - head.length, 'a')]);
};
const withParts = (n: number): Buffer =>
  crlf(
    'From: alice@member.example',
    'Content-Type: multipart/mixed; boundary=b',
    '',
    ...Array.from({ length: n - 1 }, () => ['--b', 'Content-Type: text/plain', '', 'x']).flat(),
    '--b--',
  );

describe('rules/size (too-large, too-many-parts) on the header-only message', () => {
  it('too-large hits one byte over policy.maxMessageBytes, not at it', () => {
    assert.equal(tooLarge.check(readHeaderOnly(sized(400)), snap), null);
    assert.equal(
      tooLarge.check(readHeaderOnly(sized(401)), snap),
      'it is 401 bytes, over the limit of 400 (policy.maxMessageBytes)',
    );
  });

  it('too-many-parts counts Content-Type fields, in any case, and hits one over policy.maxMimeParts', () => {
    assert.equal(tooManyParts.check(readHeaderOnly(withParts(3)), snap), null);
    assert.equal(
      tooManyParts.check(readHeaderOnly(withParts(4)), snap),
      'it has more than 3 MIME parts (policy.maxMimeParts)',
    );
    assert.equal(countMimeParts(crlf('CONTENT-TYPE: a', 'content-type: b', 'Content-type: c'), 10), 3);
    assert.equal(countMimeParts(withParts(50), 4), 4, 'stops counting at the cap');
  });

  it('too-many-parts leaves a message that is too large to too-large alone (one reason, as before)', () => {
    const big = Buffer.concat([withParts(10), Buffer.alloc(400, 'a')]);
    assert.notEqual(tooLarge.check(readHeaderOnly(big), snap), null);
    assert.equal(tooManyParts.check(readHeaderOnly(big), snap), null);
  });

  it('reads sender, recipients, Message-ID and a decoded, single-line subject from the header alone', () => {
    const msg = readHeaderOnly(
      crlf(
        'From: Alice <ALICE@Member.Example>',
        `To: x@elsewhere.example`,
        `Cc: ${LIST_ADDRESS}`,
        'Message-ID: junk <big@member.example> junk',
        'Subject: =?utf-8?q?Gr=C3=B6=C3=9Fer?=\r\n\tals erlaubt',
        '',
        'body that is not read',
      ),
    );
    assert.deepEqual(
      [
        msg.from.address,
        msg.to.map((a) => a.address),
        msg.cc.map((a) => a.address),
        msg.messageId,
        msg.subject,
        msg.text,
      ],
      [
        'alice@member.example',
        ['x@elsewhere.example'],
        [LIST_ADDRESS],
        '<big@member.example>',
        'Größer als erlaubt',
        '',
      ],
    );
  });

  it('takes the first of two From fields, as readers do, and names no sender when none is readable', () => {
    assert.equal(
      readHeaderOnly(crlf('From: first@a.example', 'From: second@b.example', '', 'x')).from.address,
      'first@a.example',
    );
    assert.equal(readHeaderOnly(crlf('From: not an address', '', 'x')).from.address, UNKNOWN_SENDER);
    assert.equal(readHeaderOnly(crlf('Subject: no from', '', 'x')).from.address, UNKNOWN_SENDER);
  });

  it('keeps line breaks and encoded control characters out of the subject', () => {
    const msg = readHeaderOnly(
      crlf('From: a@b.example', 'Subject: =?utf-8?q?hi=0D=0ABcc=3A_x=40evil.example?=', '', 'x'),
    );
    assert.doesNotMatch(msg.subject, /[\r\n]/);
  });

  it("treats a message with no blank line as all header, and one with no header as nobody's", () => {
    assert.equal(readHeaderOnly(Buffer.from('From: a@b.example\r\nSubject: s')).subject, 's');
    const none = readHeaderOnly(Buffer.from('\r\n\r\njust a body'));
    assert.deepEqual([none.from.address, none.messageId, none.subject], [UNKNOWN_SENDER, null, '']);
  });
});
