import assert from 'node:assert/strict';
import { AppError } from '../../../src/errors';
import { header, parseMessage } from '../../../src/message/parse';
import { makeMessage } from '../../helpers/mail-factory';
import { crlf, encodedWord, lf } from '../../helpers/raw-mail';

async function rejectsWith(raw: Buffer, code: string): Promise<void> {
  await assert.rejects(parseMessage(raw), (err: unknown) => {
    assert.ok(err instanceof AppError, `an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

describe('message/parse', () => {
  it('gives one typed message with every field a later stage reads', async () => {
    const raw = makeMessage({
      from: 'Alice Example <alice@member.example>',
      to: ['security@lists.example.org', 'Bob <bob@member.example>'],
      cc: ['carol@member.example'],
      subject: 'Heap overflow in libfoo',
      messageId: '<post-1@member.example>',
      inReplyTo: '<root@member.example>',
      references: ['<root@member.example>', '<mid@member.example>'],
      body: 'Details follow.\n',
      date: new Date('2026-03-01T12:00:00Z'),
    });
    const msg = await parseMessage(raw);
    assert.equal(msg.raw, raw);
    assert.equal(msg.size, raw.length);
    assert.equal(msg.messageId, '<post-1@member.example>');
    assert.equal(msg.inReplyTo, '<root@member.example>');
    assert.deepEqual(msg.references, ['<root@member.example>', '<mid@member.example>']);
    assert.deepEqual(msg.from, { name: 'Alice Example', address: 'alice@member.example' });
    assert.deepEqual(msg.to, [
      { name: '', address: 'security@lists.example.org' },
      { name: 'Bob', address: 'bob@member.example' },
    ]);
    assert.deepEqual(msg.cc, [{ name: '', address: 'carol@member.example' }]);
    assert.equal(msg.subject, 'Heap overflow in libfoo');
    assert.equal(msg.date?.toISOString(), '2026-03-01T12:00:00.000Z');
    assert.equal(msg.text.trim(), 'Details follow.');
  });

  it('keeps every header under its lower-cased name, unfolded, in order', async () => {
    const msg = await parseMessage(
      crlf(
        'From: a@member.example',
        'X-LOOP: one@example.org',
        'x-loop: two@example.org',
        'X-Long: part one',
        ' part two',
        '',
        'body',
      ),
    );
    assert.deepEqual(header(msg, 'X-Loop'), ['one@example.org', 'two@example.org']);
    assert.deepEqual(header(msg, 'x-long'), ['part one part two']);
    assert.deepEqual(header(msg, 'x-absent'), []);
  });

  it('lower-cases addresses written in odd case', async () => {
    const msg = await parseMessage(makeMessage({ from: 'ALICE@Member.EXAMPLE', to: 'Security@LISTS.example.org' }));
    assert.equal(msg.from.address, 'alice@member.example');
    assert.equal(msg.to[0]!.address, 'security@lists.example.org');
  });

  it('reads a message stored with bare LF line ends', async () => {
    const msg = await parseMessage(
      lf(
        'From: alice@member.example',
        'To: security@lists.example.org',
        'Subject: lf',
        'Message-ID: <lf@member.example>',
        '',
        'body',
      ),
    );
    assert.equal(msg.subject, 'lf');
    assert.equal(msg.messageId, '<lf@member.example>');
  });

  it('flattens a group in To', async () => {
    const msg = await parseMessage(
      crlf('From: alice@member.example', 'To: team: b@member.example, C@Member.example;', '', 'body'),
    );
    assert.deepEqual(
      msg.to.map((a) => a.address),
      ['b@member.example', 'c@member.example'],
    );
  });

  it('gives null for a missing or empty Message-ID and In-Reply-To', async () => {
    const missing = await parseMessage(crlf('From: alice@member.example', '', 'body'));
    assert.equal(missing.messageId, null);
    assert.equal(missing.inReplyTo, null);
    assert.deepEqual(missing.references, []);
    const empty = await parseMessage(crlf('From: alice@member.example', 'Message-ID: <>', 'In-Reply-To:', '', 'body'));
    assert.equal(empty.messageId, null);
    assert.equal(empty.inReplyTo, null);
  });

  it('gives an empty subject, not undefined, when there is none', async () => {
    const msg = await parseMessage(crlf('From: alice@member.example', '', 'body'));
    assert.equal(msg.subject, '');
  });

  it('strips the CR/LF that an encoded word hides in the subject', async () => {
    const msg = await parseMessage(
      crlf('From: alice@member.example', `Subject: ${encodedWord('hello\r\nBcc: attacker@evil.example')}`, '', 'body'),
    );
    assert.equal(msg.subject, 'hello Bcc: attacker@evil.example');
    assert.doesNotMatch(msg.subject, /[\r\n]/);
  });

  it('removes whitespace from a Message-ID, as it is stored and compared', async () => {
    const msg = await parseMessage(
      crlf('From: alice@member.example', `Message-ID: <a${'\t'}b@member.example>`, '', 'body'),
    );
    assert.equal(msg.messageId, '<ab@member.example>');
  });

  it('decodes an RFC 2047 display name in From, as it does in To', async () => {
    const msg = await parseMessage(
      crlf(
        `From: ${encodedWord('Älice')} <alice@member.example>`,
        `To: ${encodedWord('Bö')} <bob@member.example>`,
        '',
        'body',
      ),
    );
    assert.equal(msg.to[0]!.name, 'Bö');
    assert.equal(msg.from.name, 'Älice');
  });

  it('never gives a From display name with a line break in it', async () => {
    const msg = await parseMessage(
      crlf(`From: ${encodedWord('Alice\r\nBcc: attacker@evil.example')} <alice@member.example>`, '', 'body'),
    );
    assert.doesNotMatch(msg.from.name, /[\r\n]/);
    assert.equal(msg.from.address, 'alice@member.example');
  });

  it('refuses a message without a From header with MESSAGE_NO_FROM', async () => {
    await rejectsWith(crlf('To: security@lists.example.org', 'Subject: who am I', '', 'body'), 'MESSAGE_NO_FROM');
  });

  it('refuses a message with two From headers (a forged second sender) with MESSAGE_NO_FROM', async () => {
    await rejectsWith(crlf('From: alice@member.example', 'From: mallory@evil.example', '', 'body'), 'MESSAGE_NO_FROM');
  });

  it('refuses a From header with two addresses with MESSAGE_NO_FROM', async () => {
    await rejectsWith(crlf('From: alice@member.example, mallory@evil.example', '', 'body'), 'MESSAGE_NO_FROM');
  });

  it('refuses a From header whose value is not an address with MESSAGE_NO_FROM', async () => {
    await rejectsWith(crlf('From: Alice from the security team', '', 'body'), 'MESSAGE_NO_FROM');
  });

  it('refuses a From header that is an empty group with MESSAGE_NO_FROM', async () => {
    await rejectsWith(crlf('From: undisclosed-senders:;', '', 'body'), 'MESSAGE_NO_FROM');
  });

  it('refuses an empty input as unparseable: it has no header fields at all', async () => {
    await rejectsWith(Buffer.alloc(0), 'MESSAGE_UNPARSEABLE');
  });

  it('refuses binary garbage with a message error code, never a crash', async () => {
    await assert.rejects(
      parseMessage(Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0a, 0x0d, 0x0a, 0x80])),
      (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.match(err.code, /^MESSAGE_/);
        return true;
      },
    );
  });
});
