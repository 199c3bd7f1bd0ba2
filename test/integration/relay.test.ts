/**
 * The daemon against a real Dovecot and a real SMTP peer: what happens to a post.
 */
import assert from 'node:assert/strict';
import { makeMessage, uniqueId } from '../helpers/mail-factory';
import { waitUntil } from '../helpers/wait';
import { appendRaw, listUids } from './harness/imap';
import { authenticatedMessage } from './helpers/authenticated';
import { LIST, MODERATOR, MODERATOR_2, query, REQUESTS } from './helpers/daemon';
import { useListFixture } from './helpers/list-fixture';

const MEMBERS = [
  { address: 'psirt@alpha.test.example', org: 'Alpha' },
  { address: 'security@beta.test.example', org: 'Beta' },
  { address: 'mesh-security@gamma.test.example', org: 'Gamma' },
];

describe('integration: relaying posts (Dovecot + SMTP peer)', function () {
  this.timeout(60_000);
  // Each test reads its own IMAP account, so no test sees another's mail.
  const f = useListFixture({ users: 6, userPrefix: 'list', members: MEMBERS });
  // These tests are about moving mail, so members may open threads here (the shipped policy holds
  // a member's new post for a moderator: hardening.test.ts); posts are authenticated, as shipped.
  beforeEach(() => f.start({ config: { membersMayOpenThreads: true }, daemon: false }));
  const account = () => f.account();

  it('relays a member post to every member, threaded, with list headers, and moves it to Processed', async () => {
    const parent = `<${uniqueId('parent')}@alpha.test.example>`;
    const raw = authenticatedMessage({
      from: 'Alpha PSIRT <psirt@alpha.test.example>',
      to: LIST,
      subject: 'Re: patch release 1.2.3',
      inReplyTo: parent,
      references: [parent],
      body: 'We have tested the patch.\n',
      headers: {
        Bcc: 'hidden@elsewhere.test.example',
        'Return-Path': '<psirt@alpha.test.example>',
        'Delivered-To': LIST,
      },
    });
    const messageId = /^Message-ID: (.+)$/im.exec(raw.toString())![1]!.trim();
    f.startDaemon();
    await appendRaw(f.dovecot, 'INBOX', raw, account());
    await f.smtp.waitFor((r) => r.length >= 3);

    assert.deepEqual(f.smtp.received.flatMap((r) => r.rcptTo).sort(), MEMBERS.map((m) => m.address).sort());
    for (const copy of f.smtp.received) {
      assert.equal(copy.rcptTo.length, 1, 'one envelope per recipient');
      assert.match(
        copy.envelopeFrom,
        /^sec-announce-bounces\+[0-9a-f]{16}@lists\.test\.example$/,
        'a VERP envelope sender per member',
      );
      assert.equal(copy.messageId, messageId);
      const h = copy.headers;
      assert.deepEqual(h.get('in-reply-to'), [parent]);
      assert.deepEqual(h.get('references'), [parent]);
      assert.deepEqual(h.get('list-id'), ['"Test Early Disclosure" <sec-announce.lists.test.example>']);
      assert.deepEqual(h.get('list-post'), [`<mailto:${LIST}>`]);
      assert.deepEqual(h.get('list-help'), [`<mailto:${REQUESTS}?subject=help>`]);
      assert.deepEqual(h.get('precedence'), ['list']);
      assert.deepEqual(h.get('x-loop'), [LIST]);
      for (const gone of ['bcc', 'return-path', 'delivered-to'])
        assert.equal(h.has(gone), false, `${gone} is stripped`);
      assert.match(copy.raw.toString(), /\r\n\r\nWe have tested the patch\.\r\n$/);
    }
    await waitUntil(async () => (await listUids(f.dovecot, 'Processed', account())).length === 1, {
      what: 'the post in Processed',
    });
    assert.deepEqual(await listUids(f.dovecot, 'INBOX', account()), []);
    const audit = query<{ action: string; message_id: string }>(
      f.setup,
      'SELECT action, message_id FROM audit WHERE action = ?',
      'post.relay',
    );
    assert.deepEqual(audit, [{ action: 'post.relay', message_id: messageId }]);
  });

  it('does not relay a post from a non-member: it is kept with the reason and the moderators are told', async () => {
    const daemon = f.startDaemon();
    await appendRaw(
      f.dovecot,
      'INBOX',
      makeMessage({ from: 'someone@stranger.test.example', to: LIST, subject: 'Hello list', body: 'Secret stuff\n' }),
      account(),
    );
    await f.smtp.waitFor((r) => r.length >= 2);
    await waitUntil(async () => (await listUids(f.dovecot, 'Processed', account())).length === 1, {
      what: 'the post in Processed',
    });
    assert.equal(f.smtp.received.length, 2, 'one notice to each of the two moderators');
    assert.deepEqual(f.smtp.received.flatMap((r) => r.rcptTo).sort(), [MODERATOR_2, MODERATOR].sort());
    const notice = f.smtp.received[0]!;
    assert.match(notice.headers.get('subject')![0]!, /Held: Hello list \(tk-/);
    assert.deepEqual(notice.headers.get('auto-submitted'), ['auto-generated']);
    assert.doesNotMatch(notice.raw.toString(), /Secret stuff/, 'the notice does not carry the body');
    const rows = query<{ outcome: string; hits: string }>(f.setup, 'SELECT outcome, hits FROM inbound');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.outcome, 'hold');
    assert.match(rows[0]!.hits, /someone@stranger\.test\.example is not an active member/);
    assert.ok(daemon.logs.some((l) => /^HELD .* reason=non-member/.test(l.msg)));
  });

  it("drops a message that carries the list's own X-Loop, and sends nothing", async () => {
    const daemon = f.startDaemon();
    const looped = makeMessage({
      from: 'psirt@alpha.test.example',
      to: LIST,
      subject: 'looped',
      headers: { 'X-Loop': LIST },
    });
    const marker = authenticatedMessage({ from: 'psirt@alpha.test.example', to: LIST, subject: 'after the loop' });
    await appendRaw(f.dovecot, 'INBOX', looped, account());
    await appendRaw(f.dovecot, 'INBOX', marker, account());
    await f.smtp.waitFor((r) => r.length >= 3);
    await waitUntil(async () => (await listUids(f.dovecot, 'Processed', account())).length === 2, {
      what: 'both in Processed',
    });
    assert.ok(
      f.smtp.received.every((r) => r.headers.get('subject')?.[0] === 'after the loop'),
      'only the second message is relayed',
    );
    assert.equal(f.smtp.received.length, 3);
    const outcomes = query<{ outcome: string }>(f.setup, 'SELECT outcome FROM inbound ORDER BY id').map(
      (r) => r.outcome,
    );
    assert.deepEqual(outcomes, ['discard', 'relay']);
    assert.ok(daemon.logs.some((l) => /^DROPPED .* reason=loop/.test(l.msg)));
  });

  it('quarantines a malformed message with its reason, and the next message still flows', async () => {
    const daemon = f.startDaemon();
    await appendRaw(f.dovecot, 'INBOX', 'this is not a mail message at all\r\n', account());
    await appendRaw(
      f.dovecot,
      'INBOX',
      authenticatedMessage({ from: 'security@beta.test.example', to: LIST, subject: 'next one' }),
      account(),
    );
    await f.smtp.waitFor((r) => r.length >= 3);
    await waitUntil(async () => (await listUids(f.dovecot, 'Quarantine', account())).length === 1, {
      what: 'the bad message in Quarantine',
    });
    await waitUntil(async () => (await listUids(f.dovecot, 'Processed', account())).length === 1, {
      what: 'the good message in Processed',
    });
    const rows = query<{ status: string; error_code: string | null }>(
      f.setup,
      'SELECT status, error_code FROM inbound ORDER BY id',
    );
    assert.deepEqual(rows, [
      { status: 'quarantined', error_code: 'MESSAGE_UNPARSEABLE' },
      { status: 'processed', error_code: null },
    ]);
    assert.ok(daemon.logs.some((l) => /^QUARANTINED .* code=MESSAGE_UNPARSEABLE/.test(l.msg)));
  });
});
