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
      + `List-Help: <mailto:${REQUESTS_ADDRESS}?subject=help>\r\nPrecedence: list\r\nX-Loop: ${LIST_ADDRESS}\r\nReply-To: <${LIST_ADDRESS}>\r\nFrom: alice@member.example\r\n`,
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
    assert.deepEqual(after.headers.slice(6).map((h) => h.raw), before.headers.map((h) => h.raw));
  });

  it('drops the envelope, Bcc and private delivery headers', () => {
    const original = crlf(
      'Return-Path: <alice@member.example>', 'Delivered-To: security@lists.example.org', 'X-Original-To: security@lists.example.org',
      'Envelope-To: security@lists.example.org', 'From: alice@member.example', `To: ${LIST_ADDRESS}`, 'Bcc: secret-friend@elsewhere.example', '', 'body',
    );
    assert.deepEqual(names(composeRelay(original, config).raw), ['List-Id', 'List-Post', 'List-Help', 'Precedence', 'X-Loop', 'Reply-To', 'From', 'To']);
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
      + `List-Help: <mailto:${REQUESTS_ADDRESS}?subject=help>\nPrecedence: list\nX-Loop: ${LIST_ADDRESS}\nReply-To: <${LIST_ADDRESS}>\nFrom: alice@member.example\nSubject: s\n\nbody\n`);
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
