import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { parseConfig } from '../../../src/config';
import { composeRelay, listHeaders } from '../../../src/mail/relay';
import { splitMessage } from '../../../src/message/headers';
import { BOUNCE_ADDRESS, LIST_ADDRESS, REQUESTS_ADDRESS, TEST_CONFIG_YAML, testConfig } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { crlf, lf } from '../../helpers/raw-mail';

const config = testConfig();
const names = (raw: Buffer): string[] => splitMessage(raw).headers.map((h) => h.name);

describe('mail/relay', () => {
  it('adds the list headers in front of the original ones', () => {
    const { raw } = composeRelay(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS, subject: 'hi' }), config);
    const text = raw.toString();
    assert.ok(text.startsWith(
      `List-Id: "Example Security" <security.lists.example.org>\r\nList-Post: <mailto:${LIST_ADDRESS}>\r\n`
      + `List-Help: <mailto:${REQUESTS_ADDRESS}?subject=help>\r\nPrecedence: list\r\nX-Loop: ${LIST_ADDRESS}\r\nReply-To: <${LIST_ADDRESS}>\r\n`
      + `From: "alice@member.example via Example Security" <${LIST_ADDRESS}>\r\nX-Original-From: alice@member.example\r\nTo: ${LIST_ADDRESS}\r\n`,
    ), text);
  });

  it('uses the bounce address as the envelope sender', () => {
    assert.equal(composeRelay(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }), config).envelopeFrom, BOUNCE_ADDRESS);
  });

  it('passes the body and every header it does not own through byte for byte', () => {
    const original = crlf(
      'Received: from mx.member.example by mx.lists.example.org;', '\tTue, 10 Mar 2026 09:00:00 +0000',
      'DKIM-Signature: v=1; a=rsa-sha256; d=member.example;', ' b=abc123',
      'From: Alice <alice@member.example>', `To: ${LIST_ADDRESS}`, 'Subject: =?UTF-8?B?w4RwZmVs?=',
      'Message-ID: <post-1@member.example>', 'References: <a@x>', ' <b@x>', 'Content-Type: text/plain; charset=utf-8', '',
      'line one', '', '-- ', 'Alice',
    );
    const { raw } = composeRelay(original, config);
    const before = splitMessage(original);
    const after = splitMessage(raw);
    assert.deepEqual(after.body, before.body);
    // From is ours now (see "the From rewrite" below); the author's From travels, byte for byte, as X-Original-From.
    const notFrom = (h: { name: string }): boolean => !['from', 'x-original-from'].includes(h.name.toLowerCase());
    assert.deepEqual(after.headers.slice(6).filter(notFrom).map((h) => h.raw), before.headers.filter(notFrom).map((h) => h.raw));
    assert.deepEqual(after.headers.slice(6, 10).map((h) => h.name), ['Received', 'DKIM-Signature', 'From', 'X-Original-From']);
    assert.equal(after.headers[9]!.raw, 'X-Original-From: Alice <alice@member.example>\r\n');
  });

  it('drops the envelope, Bcc and private delivery headers', () => {
    const original = crlf(
      'Return-Path: <alice@member.example>', 'Delivered-To: security@lists.example.org', 'X-Original-To: security@lists.example.org',
      'Envelope-To: security@lists.example.org', 'From: alice@member.example', `To: ${LIST_ADDRESS}`, 'Bcc: secret-friend@elsewhere.example', '', 'body',
    );
    assert.deepEqual(names(composeRelay(original, config).raw), ['List-Id', 'List-Post', 'List-Help', 'Precedence', 'X-Loop', 'Reply-To', 'From', 'X-Original-From', 'To']);
  });

  it('drops what would send replies or read receipts elsewhere, and points replies to the list', () => {
    const original = crlf(
      'From: alice@member.example', `To: ${LIST_ADDRESS}`, 'Cc: outsider@vendor.example', 'Reply-To: attacker@evil.example',
      'Mail-Followup-To: attacker@evil.example', 'Disposition-Notification-To: attacker@evil.example', 'Return-Receipt-To: attacker@evil.example', '', 'body',
    );
    const raw = composeRelay(original, config).raw.toString();
    assert.doesNotMatch(raw, /outsider@vendor\.example|attacker@evil\.example/);
    assert.match(raw, new RegExp(`^Reply-To: <${LIST_ADDRESS}>\r$`, 'm'));
  });

  it('drops headers named in odd case, and a folded Bcc with all its continuation lines', () => {
    const original = crlf('From: alice@member.example', 'bCC: one@elsewhere.example,', ' two@elsewhere.example', 'RETURN-PATH: <x@y.z>', 'Subject: s', '', 'body');
    const text = composeRelay(original, config).raw.toString();
    assert.doesNotMatch(text, /elsewhere\.example|x@y\.z/);
    assert.match(text, /\r\nSubject: s\r\n\r\nbody\r\n$/);
  });

  it('replaces another list\'s List-* and Precedence headers with ours, but keeps its X-Loop', () => {
    const original = crlf('List-Id: <other.lists.example.net>', 'List-Post: <mailto:other@lists.example.net>', 'Precedence: bulk',
      'X-Loop: other@lists.example.net', 'From: alice@member.example', '', 'body');
    const { raw } = composeRelay(original, config);
    const text = raw.toString();
    assert.doesNotMatch(text, /other\.lists\.example\.net|other@lists\.example\.net>|Precedence: bulk/);
    assert.deepEqual(splitMessage(raw).headers.filter((h) => h.name === 'X-Loop').map((h) => h.raw.trim()), [`X-Loop: ${LIST_ADDRESS}`, 'X-Loop: other@lists.example.net']);
  });

  it('keeps bare LF line ends for a message stored with them', () => {
    const { raw } = composeRelay(lf('From: alice@member.example', 'Bcc: x@elsewhere.example', 'Subject: s', '', 'body'), config);
    assert.equal(raw.toString(), `List-Id: "Example Security" <security.lists.example.org>\nList-Post: <mailto:${LIST_ADDRESS}>\n`
      + `List-Help: <mailto:${REQUESTS_ADDRESS}?subject=help>\nPrecedence: list\nX-Loop: ${LIST_ADDRESS}\nReply-To: <${LIST_ADDRESS}>\n`
      + `From: "alice@member.example via Example Security" <${LIST_ADDRESS}>\nX-Original-From: alice@member.example\nSubject: s\n\nbody\n`);
  });

  it('drops a header line that has no field name', () => {
    const { raw } = composeRelay(crlf('From: alice@member.example', 'this line is no header', 'Subject: s', '', 'body'), config);
    assert.doesNotMatch(raw.toString(), /this line is no header/);
  });

  it('does not pass on an mbox "From " envelope line (as an MTA pipe prepends it) as a header', async () => {
    const original = crlf('From alice@member.example Tue Mar 10 09:00:00 2026', 'From: alice@member.example', `To: ${LIST_ADDRESS}`, 'Subject: s', '', 'body');
    const { raw } = composeRelay(original, config);
    assert.doesNotMatch(raw.toString(), /^From alice@member\.example Tue/m);
    for (const h of splitMessage(raw).headers) assert.match(h.name, /^[\x21-\x39\x3b-\x7e]+$/, `"${h.name}" is a valid field name`);
  });

  it('keeps a relayed copy readable as the same message', async () => {
    const original = makeMessage({ from: 'Alice <alice@member.example>', to: LIST_ADDRESS, subject: 'Ünïcode subject', messageId: '<p@member.example>', body: 'Grüße\n' });
    const parsed = await simpleParser(composeRelay(original, config).raw);
    assert.equal(parsed.subject, 'Ünïcode subject');
    assert.equal(parsed.messageId, '<p@member.example>');
    assert.equal(parsed.text?.trim(), 'Grüße');
    assert.deepEqual(parsed.headerLines.filter((l) => l.key === 'list-id').map((l) => l.line), ['List-Id: "Example Security" <security.lists.example.org>']);
  });

  describe('the From rewrite (relay.fromRewrite)', () => {
    /** A post whose From field is `from` (written as UTF-8 bytes, as it comes), relayed. */
    const relayFrom = (from: string, c = config): Buffer =>
      composeRelay(Buffer.from(`From: ${from}\r\nTo: ${LIST_ADDRESS}\r\nSubject: s\r\n\r\nbody\r\n`, 'utf8'), c).raw;
    /** The raw fields of one name, folding included. */
    const fields = (raw: Buffer, name: string): string[] =>
      splitMessage(raw).headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.raw);
    /** An encoded word inside a quoted string, which RFC 2047 section 5 forbids and readers show as it is. */
    const QUOTED_ENCODED_WORD = /"[^"]*=\?[^?"]+\?[BbQq]\?[^"]*"/;

    it('writes From as "Name via the list" at the list address, and the author\'s From as X-Original-From', async () => {
      const raw = relayFrom('Alice <alice@member.example>');
      assert.deepEqual(fields(raw, 'from'), [`From: "Alice via Example Security" <${LIST_ADDRESS}>\r\n`]);
      assert.deepEqual(fields(raw, 'x-original-from'), ['X-Original-From: Alice <alice@member.example>\r\n']);
      const parsed = await simpleParser(raw);
      assert.deepEqual(parsed.from?.value, [{ address: LIST_ADDRESS, name: 'Alice via Example Security' }]);
      assert.deepEqual(parsed.replyTo?.value, [{ address: LIST_ADDRESS, name: '' }]);
    });

    it('keeps a folded From whole, continuation line and all, in X-Original-From', () => {
      const raw = relayFrom('Alice\r\n <alice@member.example>');
      assert.deepEqual(fields(raw, 'x-original-from'), ['X-Original-From: Alice\r\n <alice@member.example>\r\n']);
      assert.deepEqual(fields(raw, 'from'), [`From: "Alice via Example Security" <${LIST_ADDRESS}>\r\n`]);
    });

    it('keeps the author\'s From and adds no X-Original-From with fromRewrite: never', async () => {
      const never = testConfig('relay: { fromRewrite: never }');
      assert.equal(never.relay.fromRewrite, 'never');
      const original = makeMessage({ from: 'Alice <alice@member.example>', to: LIST_ADDRESS, subject: 'hi', body: 'text\n' });
      const raw = composeRelay(original, never).raw;
      assert.deepEqual(fields(raw, 'from'), ['From: Alice <alice@member.example>\r\n']);
      assert.deepEqual(fields(raw, 'x-original-from'), []);
      assert.deepEqual(splitMessage(raw).headers.slice(6).map((h) => h.raw), splitMessage(original).headers.map((h) => h.raw));
      // Everything else is the same as with the rewrite: replies still go to the list.
      assert.deepEqual((await simpleParser(raw)).replyTo?.value, [{ address: LIST_ADDRESS, name: '' }]);
    });

    it('takes out the quotes and backslashes of the author\'s name, so that the phrase stays one quoted string', async () => {
      const raw = relayFrom('"Al\\"ice \\\\ the \\"Great\\"" <alice@member.example>');
      const [from] = fields(raw, 'from');
      assert.match(from!, new RegExp(`^From: "[^"\\\\]+ via Example Security" <${LIST_ADDRESS}>\r\n$`));
      const parsed = await simpleParser(raw);
      assert.deepEqual(parsed.from?.value.map((a) => a.address), [LIST_ADDRESS]);
      assert.doesNotMatch(parsed.from!.value[0]!.name, /["\\]/);
      assert.deepEqual(fields(raw, 'x-original-from'), ['X-Original-From: "Al\\"ice \\\\ the \\"Great\\"" <alice@member.example>\r\n']);
    });

    it('unfolds a name that spans lines: one From line, no header of its own for what followed the line break', async () => {
      const raw = relayFrom('"Alice\r\n Bcc: eve@evil.example" <alice@member.example>');
      assert.deepEqual(fields(raw, 'from'), [`From: "Alice Bcc: eve@evil.example via Example Security" <${LIST_ADDRESS}>\r\n`]);
      assert.deepEqual(fields(raw, 'bcc'), []);
      const parsed = await simpleParser(raw);
      assert.deepEqual(parsed.from?.value.map((a) => a.address), [LIST_ADDRESS]);
      assert.equal(parsed.bcc, undefined);
    });

    it('decodes an encoded-word name before cleaning it: no line break or quote of it reaches the reader', async () => {
      const hostile = `=?UTF-8?B?${Buffer.from('Alice"\r\nBcc: eve@evil.example', 'utf8').toString('base64')}?=`;
      const raw = relayFrom(`${hostile} <alice@member.example>`);
      assert.equal(fields(raw, 'from').length, 1);
      assert.doesNotMatch(fields(raw, 'from')[0]!, QUOTED_ENCODED_WORD);
      const parsed = await simpleParser(raw);
      assert.deepEqual(parsed.from?.value.map((a) => a.address), [LIST_ADDRESS]);
      assert.doesNotMatch(parsed.from!.value[0]!.name, /[\r\n"]/);
      assert.match(parsed.from!.value[0]!.name, /^Alice ?Bcc: eve@evil\.example via Example Security$/);
    });

    it('writes a non-ASCII name sent as an encoded word as an encoded word again, not inside quotes', async () => {
      const raw = relayFrom('=?UTF-8?B?w4Rsw69jZSBNw7xsbGVy?= <alice@member.example>');
      const [from] = fields(raw, 'from');
      assert.doesNotMatch(from!, QUOTED_ENCODED_WORD);
      assert.match(from!, /^From: [\x20-\x7e]+\r\n$/);
      assert.deepEqual((await simpleParser(raw)).from?.value, [{ address: LIST_ADDRESS, name: 'Älïce Müller via Example Security' }]);
    });

    it('writes a non-ASCII name sent as raw UTF-8 as an encoded word that reads back as the same name', async () => {
      const raw = relayFrom('Älïce Müller <alice@member.example>');
      const [from] = fields(raw, 'from');
      assert.match(from!, /^From: [\x20-\x7e]+\r\n$/, 'only ASCII in our From');
      assert.deepEqual((await simpleParser(raw)).from?.value, [{ address: LIST_ADDRESS, name: 'Älïce Müller via Example Security' }]);
      // The author's own field is passed on as it came, 8-bit bytes and all.
      assert.deepEqual(fields(raw, 'x-original-from'), [Buffer.from('X-Original-From: Älïce Müller <alice@member.example>\r\n', 'utf8').toString('latin1')]);
    });

    it('encodes a non-ASCII list name and still reads back the one list address', async () => {
      const accented = parseConfig(TEST_CONFIG_YAML.replace('name: Example Security', 'name: Sécurité Liste'), 'test');
      const raw = relayFrom('Alice <alice@member.example>', accented);
      assert.match(fields(raw, 'from')[0]!, /^From: [\x20-\x7e]+\r\n$/);
      assert.deepEqual((await simpleParser(raw)).from?.value, [{ address: LIST_ADDRESS, name: 'Alice via Sécurité Liste' }]);
    });

    it('keeps an address written inside a non-ASCII name from becoming the From of the copy', async () => {
      const raw = relayFrom('"Jörg, <eve@evil.example>" <alice@member.example>');
      const parsed = await simpleParser(raw);
      assert.deepEqual(parsed.from?.value.map((a) => a.address), [LIST_ADDRESS], fields(raw, 'from')[0]);
      assert.match(parsed.from!.value[0]!.name, /^Jörg, ?<?eve@evil\.example>? via Example Security$/);
    });

    it('drops an X-Original-From the author wrote, so that the only one names the real author', () => {
      const raw = composeRelay(crlf('X-Original-From: ceo@vendor.example', 'From: Alice <alice@member.example>', `To: ${LIST_ADDRESS}`, '', 'body'), config).raw;
      assert.deepEqual(fields(raw, 'x-original-from'), ['X-Original-From: Alice <alice@member.example>\r\n']);
    });
  });

  describe('listHeaders', () => {
    it('strips quotes, backslashes and line breaks of the list name from List-Id', () => {
      const hostile = parseConfig(TEST_CONFIG_YAML.replace('name: Example Security', 'name: "Evil \\"List\\"\\\\\\r\\nBcc: x@evil.example"'), 'test');
      const listId = listHeaders(hostile).find(([n]) => n === 'List-Id')![1];
      assert.doesNotMatch(listId, /[\r\n\\]/);
      assert.equal(listId, '"Evil List Bcc: x@evil.example" <security.lists.example.org>');
    });

    it('names the configured bounce address nowhere but the envelope', () => {
      const custom = parseConfig(TEST_CONFIG_YAML.replace('moderators:', 'bounceAddress: bounces@lists.example.org\n  moderators:'), 'test');
      const { raw, envelopeFrom } = composeRelay(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }), custom);
      assert.equal(envelopeFrom, 'bounces@lists.example.org');
      assert.doesNotMatch(raw.toString(), /bounces@/);
    });
  });
});
