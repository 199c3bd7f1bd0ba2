/**
 * Proves the integration-test harness itself: a real Dovecot (login, APPEND, IDLE push, restart,
 * kick) and the recording SMTP peer (delivery through a pooled nodemailer transport, scripted
 * 451/550 replies), plus the message factory and waitUntil.
 */
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import nodemailer, { type Transporter } from 'nodemailer';
import { startDovecot, type Dovecot } from './harness/dovecot';
import { appendMany, appendRaw, connect, ensureMailbox, listUids } from './harness/imap';
import { startSmtpPeer, type SmtpPeer } from './harness/smtp-peer';
import { makeMessage, normalizeMessageId, uniqueId } from '../helpers/mail-factory';
import { waitUntil } from '../helpers/wait';

/** Resolves when `emitter` emits `event` and `pred` holds for its first argument. */
function nextEvent<T>(emitter: ImapFlow, event: string, pred: (arg: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const listener = (arg: T) => {
      if (!pred(arg)) return;
      emitter.off(event, listener);
      resolve(arg);
    };
    emitter.on(event, listener);
  });
}

async function closeQuietly(client: ImapFlow | undefined): Promise<void> {
  if (!client || !client.usable) return;
  try {
    await client.logout();
  } catch {
    client.close();
  }
}

describe('integration harness', function () {
  describe('Dovecot', function () {
    let d: Dovecot;

    before(async function () {
      d = await startDovecot({
        users: [
          { user: 'list', password: 'secret' },
          { user: 'other', password: 'other-secret' },
        ],
      });
    });

    after(async function () {
      await d?.stop();
    });

    it('accepts a login and APPEND, and lists the UIDs', async function () {
      assert.equal(d.host, '127.0.0.1');
      assert.deepEqual(await listUids(d, 'INBOX'), []);
      const uid = await appendRaw(
        d,
        'INBOX',
        makeMessage({ from: 'a@test.example', to: 'list@test.example', subject: 'hello' }),
      );
      assert.equal(typeof uid, 'number');
      assert.deepEqual(await listUids(d, 'INBOX'), [uid]);
    });

    it('rejects a wrong password', async function () {
      const client = new ImapFlow({
        host: d.host,
        port: d.port,
        secure: false,
        auth: { user: 'list', pass: 'wrong' },
        logger: false,
      });
      client.on('error', () => undefined);
      await assert.rejects(client.connect());
      client.close();
    });

    it('keeps users apart and handles other mailboxes', async function () {
      assert.deepEqual(await listUids(d, 'Nope'), [], 'a missing mailbox lists as empty');
      await ensureMailbox(d, 'Archive');
      await ensureMailbox(d, 'Archive'); // idempotent
      assert.deepEqual(await listUids(d, 'Archive'), []);
      const raws = [1, 2, 3].map((i) => makeMessage({ from: 'a@test.example', subject: `m${i}` }));
      const uids = await appendMany(d, 'Archive', raws);
      assert.equal(uids.length, 3);
      assert.deepEqual(await listUids(d, 'Archive'), uids);
      await appendRaw(d, 'INBOX', makeMessage({ from: 'b@test.example' }), 'other');
      assert.equal((await listUids(d, 'INBOX', 'other')).length, 1);
      assert.deepEqual(await listUids(d, 'Archive', 'other'), []);
    });

    it('pushes a new message to an idling client (IDLE, "exists" event)', async function () {
      const client = await connect(d);
      try {
        const box = await client.mailboxOpen('INBOX');
        const before = box.exists;
        const exists = nextEvent<{ path: string; count: number; prevCount: number }>(
          client,
          'exists',
          (e) => e.count > before,
        );
        // imapflow only enters IDLE on its own after autoIdleDelay (15 s by default): start it now.
        // idle() resolves when IDLE is ended (by the next command or close).
        const idling = client.idle().catch(() => undefined);
        await waitUntil(() => client.idling, { what: 'imapflow to enter IDLE' });
        await appendRaw(d, 'INBOX', makeMessage({ from: 'c@test.example', subject: 'pushed' }));
        const event = await exists;
        assert.equal(event.path, 'INBOX');
        assert.equal(event.count, before + 1);
        await closeQuietly(client);
        await idling;
      } finally {
        await closeQuietly(client);
      }
    });

    it('kick() drops the connections of a user, and only that user', async function () {
      const listClient = await connect(d, 'list');
      const otherClient = await connect(d, 'other');
      try {
        await listClient.mailboxOpen('INBOX');
        await otherClient.mailboxOpen('INBOX');
        const closed = new Promise<void>((resolve) => listClient.once('close', () => resolve()));
        await d.kick('list');
        await closed;
        assert.equal(listClient.usable, false);
        // the other user's connection still works
        await otherClient.noop();
        const status = await otherClient.status('INBOX', { messages: true });
        assert.ok(status && typeof status.messages === 'number');
        // kick() without a user drops everybody
        const otherClosed = new Promise<void>((resolve) => otherClient.once('close', () => resolve()));
        await d.kick();
        await otherClosed;
        // and kicking when nobody is connected is fine
        await d.kick();
      } finally {
        await closeQuietly(listClient);
        await closeQuietly(otherClient);
      }
    });

    it('restart() comes back on the same port with the mail still there', async function () {
      const port = d.port;
      await appendRaw(d, 'INBOX', makeMessage({ from: 'd@test.example', subject: 'before restart' }));
      const uidsBefore = await listUids(d, 'INBOX');
      const client = await connect(d);
      await client.mailboxOpen('INBOX');
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      try {
        await d.restart();
        await closed; // the server going away closes existing connections
        assert.equal(d.port, port);
        assert.deepEqual(await listUids(d, 'INBOX'), uidsBefore);
        const uid = await appendRaw(d, 'INBOX', makeMessage({ from: 'd@test.example', subject: 'after restart' }));
        assert.deepEqual(await listUids(d, 'INBOX'), [...uidsBefore, uid]);
      } finally {
        await closeQuietly(client);
      }
    });
  });

  describe('SMTP peer', function () {
    let peer: SmtpPeer | undefined;
    let transport: Transporter | undefined;

    function pooled(p: SmtpPeer): Transporter {
      return nodemailer.createTransport({ pool: true, host: p.host, port: p.port, secure: false, ignoreTLS: true });
    }

    afterEach(async function () {
      transport?.close();
      transport = undefined;
      await peer?.stop();
      peer = undefined;
    });

    it('receives a message sent through a pooled nodemailer transport', async function () {
      peer = await startSmtpPeer();
      transport = pooled(peer);
      const id = uniqueId('plain');
      const raw = makeMessage({
        from: 'Sender <sender@test.example>',
        to: ['one@test.example', 'two@test.example'],
        subject: 'Grüße aus dem Test, a subject long enough to need more than one encoded word',
        messageId: id,
        headers: { 'X-Test': 'yes' },
        body: 'line 1\nline 2\n.leading dot\n',
      });
      await transport.sendMail({
        envelope: { from: 'bounces@test.example', to: ['one@test.example', 'two@test.example'] },
        raw,
      });
      await peer.waitFor((r) => r.length === 1);
      const got = peer.received[0]!;
      assert.equal(got.envelopeFrom, 'bounces@test.example');
      assert.deepEqual(got.rcptTo, ['one@test.example', 'two@test.example']);
      assert.equal(got.messageId, normalizeMessageId(id));
      assert.deepEqual(got.headers.get('x-test'), ['yes']);
      assert.deepEqual(got.headers.get('to'), ['one@test.example, two@test.example']);
      assert.match(got.headers.get('subject')?.[0] ?? '', /^=\?UTF-8\?B\?/);
      assert.ok(got.raw.equals(raw), 'the raw message arrives byte for byte');
    });

    it('answers 451 once and then 250 for a recipient (onRcpt)', async function () {
      const attempts: number[] = [];
      peer = await startSmtpPeer({
        onRcpt: (rcpt, attempt) => {
          if (rcpt !== 'retry@test.example') return undefined;
          attempts.push(attempt);
          return attempt === 1 ? { code: 451, message: 'try again later' } : undefined;
        },
      });
      transport = pooled(peer);
      const raw = makeMessage({ from: 'sender@test.example', to: 'retry@test.example' });
      const envelope = { from: 'sender@test.example', to: ['retry@test.example'] };
      await assert.rejects(
        transport.sendMail({ envelope, raw }),
        (err: { responseCode?: number }) => err.responseCode === 451,
      );
      assert.equal(peer.received.length, 0);
      await transport.sendMail({ envelope, raw });
      await peer.waitFor((r) => r.length === 1);
      assert.deepEqual(attempts, [1, 2]);
      assert.deepEqual(peer.received[0]!.rcptTo, ['retry@test.example']);
    });

    it('rejects one of two recipients in separate envelopes with 550', async function () {
      peer = await startSmtpPeer({
        onRcpt: (rcpt) => (rcpt === 'gone@test.example' ? { code: 550, message: 'no such user' } : undefined),
      });
      transport = pooled(peer);
      const raw = makeMessage({ from: 'sender@test.example', to: 'list@test.example' });
      const results = await Promise.allSettled([
        transport.sendMail({ envelope: { from: 'sender@test.example', to: ['ok@test.example'] }, raw }),
        transport.sendMail({ envelope: { from: 'sender@test.example', to: ['gone@test.example'] }, raw }),
      ]);
      assert.equal(results[0]!.status, 'fulfilled');
      assert.equal(results[1]!.status, 'rejected');
      assert.equal((results[1] as PromiseRejectedResult).reason.responseCode, 550);
      await peer.waitFor((r) => r.length === 1);
      assert.deepEqual(peer.received[0]!.rcptTo, ['ok@test.example']);
    });

    it('can reject DATA by Message-ID attempt (onData) and records only accepted messages', async function () {
      peer = await startSmtpPeer({
        onData: (_rcpts, attempt) => (attempt === 1 ? { code: 452, message: 'insufficient storage' } : undefined),
      });
      transport = pooled(peer);
      const raw = makeMessage({ from: 'sender@test.example', to: 'x@test.example' });
      const envelope = { from: 'sender@test.example', to: ['x@test.example'] };
      await assert.rejects(
        transport.sendMail({ envelope, raw }),
        (err: { responseCode?: number }) => err.responseCode === 452,
      );
      assert.equal(peer.received.length, 0);
      await transport.sendMail({ envelope, raw });
      await peer.waitFor((r) => r.length === 1);
    });

    it('waitFor() rejects with what was received so far', async function () {
      peer = await startSmtpPeer();
      transport = pooled(peer);
      const raw = makeMessage({ from: 'sender@test.example', to: 'x@test.example', messageId: '<only@test.example>' });
      await transport.sendMail({ envelope: { from: 'sender@test.example', to: ['x@test.example'] }, raw });
      await peer.waitFor((r) => r.length === 1);
      await assert.rejects(
        peer.waitFor((r) => r.length === 2, 200),
        /1 message\(s\) received: <only@test\.example>/,
      );
    });
  });

  describe('waitUntil', function () {
    it('resolves when the condition holds and rejects naming what it waited for', async function () {
      let n = 0;
      await waitUntil(() => ++n >= 3, { intervalMs: 1 });
      assert.equal(n, 3);
      await assert.rejects(
        waitUntil(async () => false, { timeoutMs: 50, what: 'nothing' }),
        {
          message: 'timed out waiting for nothing',
        },
      );
    });
  });
});
