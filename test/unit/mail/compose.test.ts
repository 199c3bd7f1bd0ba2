import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { composeNotice, newMessageId } from '../../../src/mail/compose';
import { splitMessage } from '../../../src/message/headers';
import { FIXED_DATE, LIST_ADDRESS, REQUESTS_ADDRESS, testConfig } from '../../helpers/context';

const config = testConfig();
const rendered = { subject: '[Example Security] Not relayed: hello', text: 'Line one\nLine two: Grüße\n\n-- \nsig\n' };

describe('mail/compose', () => {
  it('writes a notice from the requests address to the given recipients', async () => {
    const { raw } = composeNotice(
      config,
      { to: ['a@example.org', 'b@example.org'], rendered, autoSubmitted: 'auto-generated' },
      FIXED_DATE,
    );
    const parsed = await simpleParser(raw);
    assert.deepEqual(parsed.from?.value, [{ name: 'Example Security', address: REQUESTS_ADDRESS }]);
    const to = Array.isArray(parsed.to) ? parsed.to.flatMap((t) => t.value) : parsed.to?.value;
    assert.deepEqual(
      to?.map((a) => a.address),
      ['a@example.org', 'b@example.org'],
    );
    assert.equal(parsed.subject, rendered.subject);
    assert.equal(parsed.date?.toISOString(), FIXED_DATE.toISOString());
  });

  it('marks the notice as automatic and as ours (Auto-Submitted, X-Loop, X-Auto-Response-Suppress)', async () => {
    const replied = await simpleParser(
      composeNotice(config, { to: ['a@example.org'], rendered, autoSubmitted: 'auto-replied' }, FIXED_DATE).raw,
    );
    assert.equal(replied.headers.get('auto-submitted'), 'auto-replied');
    assert.equal(replied.headers.get('x-loop'), LIST_ADDRESS);
    assert.equal(replied.headers.get('x-auto-response-suppress'), 'All');
    const generated = await simpleParser(
      composeNotice(config, { to: ['a@example.org'], rendered, autoSubmitted: 'auto-generated' }, FIXED_DATE).raw,
    );
    assert.equal(generated.headers.get('auto-submitted'), 'auto-generated');
  });

  it('gives each notice a fresh Message-ID on the list domain, and returns it', async () => {
    const one = composeNotice(config, { to: ['a@example.org'], rendered, autoSubmitted: 'auto-generated' }, FIXED_DATE);
    const two = composeNotice(config, { to: ['a@example.org'], rendered, autoSubmitted: 'auto-generated' }, FIXED_DATE);
    assert.match(one.messageId, /^<[0-9a-f-]{36}@lists\.example\.org>$/);
    assert.notEqual(one.messageId, two.messageId);
    assert.equal((await simpleParser(one.raw)).messageId, one.messageId);
    assert.match(newMessageId(config), /@lists\.example\.org>$/);
  });

  it('threads an answer under the mail it answers, without repeating a reference', async () => {
    const { raw } = composeNotice(
      config,
      {
        to: ['a@example.org'],
        rendered,
        autoSubmitted: 'auto-replied',
        inReplyTo: '<q@member.example>',
        references: ['<root@member.example>', '<q@member.example>'],
      },
      FIXED_DATE,
    );
    const parsed = await simpleParser(raw);
    assert.equal(parsed.inReplyTo, '<q@member.example>');
    assert.deepEqual(parsed.references, ['<root@member.example>', '<q@member.example>']);
  });

  it('writes no In-Reply-To or References for a notice that answers nothing', async () => {
    const { raw } = composeNotice(
      config,
      { to: ['a@example.org'], rendered, autoSubmitted: 'auto-generated' },
      FIXED_DATE,
    );
    const names = splitMessage(raw).headers.map((h) => h.name.toLowerCase());
    assert.ok(!names.includes('in-reply-to'));
    assert.ok(!names.includes('references'));
  });

  it('sends the text as quoted-printable UTF-8 with CRLF line ends, decoding to the rendered text', async () => {
    const { raw } = composeNotice(
      config,
      { to: ['a@example.org'], rendered, autoSubmitted: 'auto-generated' },
      FIXED_DATE,
    );
    const { body } = splitMessage(raw);
    assert.doesNotMatch(body.toString('latin1'), /(^|[^\r])\n/);
    assert.ok(
      [...body].every((b) => b < 0x80),
      'the body is 7-bit',
    );
    const parsed = await simpleParser(raw);
    assert.equal(parsed.text?.replace(/\r\n/g, '\n').trimEnd(), rendered.text.trimEnd());
  });

  it('keeps an injected line break in the subject out of the header block', async () => {
    const { raw } = composeNotice(
      config,
      {
        to: ['a@example.org'],
        rendered: { subject: 'hi\r\nBcc: attacker@evil.example', text: 'x\n' },
        autoSubmitted: 'auto-generated',
      },
      FIXED_DATE,
    );
    const names = splitMessage(raw).headers.map((h) => h.name.toLowerCase());
    assert.ok(!names.includes('bcc'), names.join(','));
    assert.equal((await simpleParser(raw)).bcc, undefined);
  });

  it('encodes a non-ASCII subject so the header block stays 7-bit', async () => {
    const { raw } = composeNotice(
      config,
      { to: ['a@example.org'], rendered: { subject: 'Grüße aus Köln', text: 'x\n' }, autoSubmitted: 'auto-generated' },
      FIXED_DATE,
    );
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n'));
    assert.ok([...head].every((b) => b < 0x80));
    assert.equal((await simpleParser(raw)).subject, 'Grüße aus Köln');
  });
});
