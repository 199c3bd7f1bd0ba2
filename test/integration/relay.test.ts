/**
 * The daemon against a real Dovecot and a real SMTP peer: what happens to a post.
 */
import assert from 'node:assert/strict';
import { makeMessage, uniqueId } from '../helpers/mail-factory';
import { waitUntil } from '../helpers/wait';
import { startDovecot, type Dovecot } from './harness/dovecot';
import { appendRaw, listUids } from './harness/imap';
import { startSmtpPeer, type SmtpPeer } from './harness/smtp-peer';
import { addMembers, cleanup, LIST, MODERATOR, MODERATOR_2, query, REQUESTS, startDaemon, writeConfig, type DaemonProcess, type Setup } from './helpers/daemon';

const MEMBERS = [
  { address: 'psirt@alpha.test.example', org: 'Alpha' },
  { address: 'security@beta.test.example', org: 'Beta' },
  { address: 'mesh-security@gamma.test.example', org: 'Gamma' },
];

describe('integration: relaying posts (Dovecot + SMTP peer)', function () {
  this.timeout(60_000);
  let dovecot: Dovecot;
  let smtp: SmtpPeer;
  let setup: Setup;
  let daemon: DaemonProcess | undefined;
  let n = 0;

  before(async () => {
    dovecot = await startDovecot({ users: Array.from({ length: 6 }, (_, i) => ({ user: `list${i}`, password: `pw${i}` })) });
  });
  after(async () => { await dovecot?.stop(); });

  beforeEach(async () => {
    smtp = await startSmtpPeer();
    // Each test reads its own IMAP account, so no test sees another's mail.
    const user = dovecot.users[n++]!;
    setup = writeConfig({ ...dovecot, users: [user] }, smtp);
    await addMembers(setup, MEMBERS);
  });
  afterEach(async () => {
    if (daemon) assert.equal(await daemon.stop(), 0, 'the daemon exits 0 on SIGTERM');
    daemon = undefined;
    await smtp.stop();
    cleanup(setup);
  });

  function account(): string {
    return dovecot.users[n - 1]!.user;
  }

  it('relays a member post to every member, threaded, with list headers, and moves it to Processed', async () => {
    const parent = `<${uniqueId('parent')}@alpha.test.example>`;
    const raw = makeMessage({
      from: 'Alpha PSIRT <psirt@alpha.test.example>', to: LIST, subject: 'Re: patch release 1.2.3',
      inReplyTo: parent, references: [parent], body: 'We have tested the patch.\n',
      headers: { Bcc: 'hidden@elsewhere.test.example', 'Return-Path': '<psirt@alpha.test.example>', 'Delivered-To': LIST },
    });
    const messageId = /^Message-ID: (.+)$/im.exec(raw.toString())![1]!.trim();
    daemon = startDaemon(setup);
    await appendRaw(dovecot, 'INBOX', raw, account());
    await smtp.waitFor((r) => r.length >= 3);

    assert.deepEqual(smtp.received.flatMap((r) => r.rcptTo).sort(), MEMBERS.map((m) => m.address).sort());
    for (const copy of smtp.received) {
      assert.equal(copy.rcptTo.length, 1, 'one envelope per recipient');
      assert.match(copy.envelopeFrom, /^sec-announce-bounces\+[0-9a-f]{16}@lists\.test\.example$/, 'a VERP envelope sender per member');
      assert.equal(copy.messageId, messageId);
      const h = copy.headers;
      assert.deepEqual(h.get('in-reply-to'), [parent]);
      assert.deepEqual(h.get('references'), [parent]);
      assert.deepEqual(h.get('list-id'), ['"Test Early Disclosure" <sec-announce.lists.test.example>']);
      assert.deepEqual(h.get('list-post'), [`<mailto:${LIST}>`]);
      assert.deepEqual(h.get('list-help'), [`<mailto:${REQUESTS}?subject=help>`]);
      assert.deepEqual(h.get('precedence'), ['list']);
      assert.deepEqual(h.get('x-loop'), [LIST]);
      for (const gone of ['bcc', 'return-path', 'delivered-to']) assert.equal(h.has(gone), false, `${gone} is stripped`);
      assert.match(copy.raw.toString(), /\r\n\r\nWe have tested the patch\.\r\n$/);
    }
    await waitUntil(async () => (await listUids(dovecot, 'Processed', account())).length === 1, { what: 'the post in Processed' });
    assert.deepEqual(await listUids(dovecot, 'INBOX', account()), []);
    const audit = query<{ action: string; message_id: string }>(setup, 'SELECT action, message_id FROM audit WHERE action = ?', 'post.relay');
    assert.deepEqual(audit, [{ action: 'post.relay', message_id: messageId }]);
  });

  it('does not relay a post from a non-member: it is kept with the reason and the moderators are told', async () => {
    daemon = startDaemon(setup);
    await appendRaw(dovecot, 'INBOX', makeMessage({ from: 'someone@stranger.test.example', to: LIST, subject: 'Hello list', body: 'Secret stuff\n' }), account());
    await smtp.waitFor((r) => r.length >= 2);
    await waitUntil(async () => (await listUids(dovecot, 'Processed', account())).length === 1, { what: 'the post in Processed' });
    assert.equal(smtp.received.length, 2, 'one notice to each of the two moderators');
    assert.deepEqual(smtp.received.flatMap((r) => r.rcptTo).sort(), [MODERATOR_2, MODERATOR].sort());
    const notice = smtp.received[0]!;
    assert.match(notice.headers.get('subject')![0]!, /Held: Hello list \(tk-/);
    assert.deepEqual(notice.headers.get('auto-submitted'), ['auto-generated']);
    assert.doesNotMatch(notice.raw.toString(), /Secret stuff/, 'the notice does not carry the body');
    const rows = query<{ outcome: string; hits: string }>(setup, 'SELECT outcome, hits FROM inbound');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.outcome, 'hold');
    assert.match(rows[0]!.hits, /someone@stranger\.test\.example is not an active member/);
    assert.ok(daemon.logs.some((l) => /^HELD .* reason=non-member/.test(l.msg)));
  });

  it('drops a message that carries the list\'s own X-Loop, and sends nothing', async () => {
    daemon = startDaemon(setup);
    const looped = makeMessage({ from: 'psirt@alpha.test.example', to: LIST, subject: 'looped', headers: { 'X-Loop': LIST } });
    const marker = makeMessage({ from: 'psirt@alpha.test.example', to: LIST, subject: 'after the loop' });
    await appendRaw(dovecot, 'INBOX', looped, account());
    await appendRaw(dovecot, 'INBOX', marker, account());
    await smtp.waitFor((r) => r.length >= 3);
    await waitUntil(async () => (await listUids(dovecot, 'Processed', account())).length === 2, { what: 'both in Processed' });
    assert.ok(smtp.received.every((r) => r.headers.get('subject')?.[0] === 'after the loop'), 'only the second message is relayed');
    assert.equal(smtp.received.length, 3);
    const outcomes = query<{ outcome: string }>(setup, 'SELECT outcome FROM inbound ORDER BY id').map((r) => r.outcome);
    assert.deepEqual(outcomes, ['discard', 'relay']);
    assert.ok(daemon.logs.some((l) => /^DROPPED .* reason=loop/.test(l.msg)));
  });

  it('quarantines a malformed message with its reason, and the next message still flows', async () => {
    daemon = startDaemon(setup);
    await appendRaw(dovecot, 'INBOX', 'this is not a mail message at all\r\n', account());
    await appendRaw(dovecot, 'INBOX', makeMessage({ from: 'security@beta.test.example', to: LIST, subject: 'next one' }), account());
    await smtp.waitFor((r) => r.length >= 3);
    await waitUntil(async () => (await listUids(dovecot, 'Quarantine', account())).length === 1, { what: 'the bad message in Quarantine' });
    await waitUntil(async () => (await listUids(dovecot, 'Processed', account())).length === 1, { what: 'the good message in Processed' });
    const rows = query<{ status: string; error_code: string | null }>(setup, 'SELECT status, error_code FROM inbound ORDER BY id');
    assert.deepEqual(rows, [{ status: 'quarantined', error_code: 'MESSAGE_UNPARSEABLE' }, { status: 'processed', error_code: null }]);
    assert.ok(daemon.logs.some((l) => /^QUARANTINED .* code=MESSAGE_UNPARSEABLE/.test(l.msg)));
  });
});
