/**
 * Delivery when the relay or the database is in trouble (issue 14), the real daemon against a
 * real SMTP server (smtp-server on loopback) that the test turns faulty and back:
 *
 * - a relay that answers 421 for a while: sending pauses as a whole and one copy probes it; every
 *   copy is delivered exactly once after the relay is back;
 * - a relay that hangs (accepts the data, never answers) and is then restarted: no more copies
 *   claimed than there are connections, none lost, none sent twice;
 * - the "sent" mark failing after the relay took the copies (a trigger in the daemon's database
 *   refuses it): the copies are not sent again nor queued for a retry, and are marked sent once
 *   the database takes writes again.
 *
 * The time from the relay's recovery to the first delivered copy is printed (MEASURE), not asserted.
 */
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { waitUntil } from '../helpers/wait';
import { startDovecot, type Dovecot } from './harness/dovecot';
import { appendRaw } from './harness/imap';
import { parseHeaders, type SmtpPeer } from './harness/smtp-peer';
import { authenticatedMessage } from './helpers/authenticated';
import {
  addMembers,
  cleanup,
  LIST,
  query,
  startDaemon,
  writeConfig,
  type DaemonProcess,
  type Setup,
} from './helpers/daemon';

const MEMBERS = Array.from({ length: 6 }, (_, i) => ({ address: `sec${i}@org${i}.test.example`, org: `Org ${i}` }));
const CONNECTIONS = 2;

interface Delivered {
  rcpt: string;
  messageId: string | undefined;
  at: number;
}

/**
 * A relay the test can break: `ok` accepts everything; `421` refuses each connection at the
 * greeting; `hang` reads the data of each message and never answers it (until released with 250,
 * or until the relay is restarted, which answers the held ones 421 and drops them).
 */
class FaultyRelay {
  mode: 'ok' | '421' | 'hang' = 'ok';
  /** Connections opened to the relay, and those refused with 421. */
  connections = 0;
  refused = 0;
  readonly delivered: Delivered[] = [];
  private held: { accept: () => void }[] = [];
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 100,
      onConnect: (_session, callback) => {
        this.connections += 1;
        if (this.mode !== '421') return callback();
        this.refused += 1;
        callback(Object.assign(new Error('4.3.2 Service not available, try again later'), { responseCode: 421 }));
      },
      onData: (stream: Readable, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.once('end', () => {
          const accept = (): void => {
            const raw = Buffer.concat(chunks);
            for (const a of session.envelope.rcptTo)
              this.delivered.push({
                rcpt: a.address,
                messageId: parseHeaders(raw).get('message-id')?.[0],
                at: Date.now(),
              });
            callback(null, 'Ok: queued');
          };
          if (this.mode === 'hang') this.held.push({ accept });
          else accept();
        });
      },
    });
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = this.server.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    this.port = address.port;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Answers the held messages 250: delivered, late. */
  releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h.accept();
  }

  /** Stops (the held sessions get 421 and are closed, their messages not delivered) and listens again on the same port. */
  async restart(): Promise<void> {
    this.held = [];
    await this.stop();
    await this.start();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** What writeConfig reads of a peer. */
  asPeer(): SmtpPeer {
    return { host: '127.0.0.1', port: this.port } as SmtpPeer;
  }
}

describe('integration: delivery faults (a relay in trouble, a mark that fails)', function () {
  this.timeout(120_000);
  let dovecot: Dovecot;
  let relay: FaultyRelay;
  let setup: Setup | undefined;
  let daemon: DaemonProcess | undefined;
  let n = 0;

  before(async () => {
    dovecot = await startDovecot({
      users: Array.from({ length: 3 }, (_, i) => ({ user: `faults${i}`, password: `pw${i}` })),
    });
  });
  after(async () => {
    await dovecot?.stop();
  });
  beforeEach(async () => {
    relay = new FaultyRelay();
    await relay.start();
    const user = dovecot.users[n]!;
    n += 1;
    setup = writeConfig({ ...dovecot, users: [user] }, relay.asPeer(), {
      maxConnections: CONNECTIONS,
      membersMayOpenThreads: true,
    });
    await addMembers(setup, MEMBERS);
  });
  afterEach(async () => {
    try {
      if (daemon) assert.equal(await daemon.stop(), 0, 'the daemon exits 0 on SIGTERM');
    } finally {
      daemon = undefined;
      await relay.stop();
      cleanup(setup);
      setup = undefined;
    }
  });

  const account = (): string => dovecot.users[n - 1]!.user;
  const post = (subject: string) =>
    appendRaw(dovecot, 'INBOX', authenticatedMessage({ from: MEMBERS[0]!.address, to: LIST, subject }), account());
  const counts = (): Record<string, number> =>
    Object.fromEntries(
      query<{ status: string; n: number }>(setup!, 'SELECT status, count(*) AS n FROM outbox GROUP BY status').map(
        (r) => [r.status, r.n],
      ),
    );
  const logged = (pattern: RegExp) => daemon!.logs.filter((l) => pattern.test(l.msg));
  /** Every (message, recipient) delivered exactly once: nothing lost, nothing twice. */
  const assertEachOnce = (copies: number): void => {
    const keys = relay.delivered.map((d) => `${d.messageId} ${d.rcpt.toLowerCase()}`);
    const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
    assert.deepEqual(twice, [], 'no copy delivered twice');
    assert.equal(new Set(keys).size, copies, 'every copy delivered');
  };
  const measure = (what: string, recoveredAt: number, extra: Record<string, unknown>): void => {
    const first = Math.min(...relay.delivered.filter((d) => d.at >= recoveredAt).map((d) => d.at));
    const keys = relay.delivered.map((d) => `${d.messageId} ${d.rcpt.toLowerCase()}`);
    console.log(
      `      MEASURE ${what}: ${JSON.stringify({
        sentTwice: keys.length - new Set(keys).size,
        recoveryToFirstDeliveredMs: first - recoveredAt,
        ...extra,
      })}`,
    );
  };

  it('pauses on 421 and probes with one copy per connection; each copy delivered once when the relay is back', async () => {
    relay.mode = '421';
    daemon = startDaemon(setup!);
    const postedAt = Date.now();
    await post('while the relay refuses');
    // The first copies on the two connections, then at least three probes.
    await waitUntil(() => logged(/^DEFERRED .* relay_paused/).length >= CONNECTIONS + 3, {
      what: 'three probes of the paused relay',
      timeoutMs: 60_000,
    });
    relay.mode = 'ok';
    const recoveredAt = Date.now();
    await waitUntil(() => counts().sent === MEMBERS.length, { what: 'every copy sent', timeoutMs: 60_000 });

    assertEachOnce(MEMBERS.length);
    assert.deepEqual(counts(), { sent: MEMBERS.length });
    assert.equal(logged(/^RELAY_PAUSED /).length, 1, 'one pause');
    assert.equal(logged(/^RELAY_RESUMED /).length, 1);
    const deferred = logged(/^DEFERRED .* relay_paused/);
    // Each refused connection carried one copy's attempt, and the pause was probed by the copies
    // that were on the two connections, never by the others: they were not retried one by one.
    assert.equal(relay.refused, deferred.length, 'one connection per attempt');
    const tried = new Set(deferred.map((l) => l.to));
    assert.ok(tried.size <= CONNECTIONS, `copies tried while paused: ${[...tried].join(', ')}`);
    const attempts = query<{ attempts: number }>(setup!, 'SELECT attempts FROM outbox');
    assert.equal(attempts.filter((a) => a.attempts > 1).length, tried.size);
    assert.deepEqual(logged(/^FAILED /), []);
    measure('421', recoveredAt, {
      connectionsWhilePaused: relay.refused,
      copiesTriedWhilePaused: tried.size,
      secondsFromPostToRecovery: (recoveredAt - postedAt) / 1000,
    });
  });

  it('claims no more copies than connections while the relay hangs, and loses none when it is restarted', async () => {
    relay.mode = 'hang';
    daemon = startDaemon(setup!);
    await post('into a hanging relay');
    await waitUntil(() => relay.heldCount === CONNECTIONS, { what: 'both connections hanging' });
    // More copies due while it hangs: still no more claimed, no more connections.
    await post('more while it hangs');
    await waitUntil(() => Object.values(counts()).reduce((a, b) => a + b, 0) === 2 * MEMBERS.length, {
      what: 'the second post queued',
    });
    await daemon.waitForLog(/^RELAYED .* copies=6/);
    assert.equal(counts().sending, CONNECTIONS, 'one claimed copy per connection');
    assert.equal(relay.connections, CONNECTIONS);

    relay.mode = 'ok';
    const recoveredAt = Date.now();
    await relay.restart();
    await waitUntil(() => counts().sent === 2 * MEMBERS.length, { what: 'every copy sent', timeoutMs: 60_000 });

    assertEachOnce(2 * MEMBERS.length);
    assert.deepEqual(counts(), { sent: 2 * MEMBERS.length });
    assert.deepEqual(logged(/^FAILED /), []);
    measure('hang then restart', recoveredAt, { connections: relay.connections });
  });

  it('does not send again nor queue a copy whose "sent" mark the database refused, and marks it once writes work', async () => {
    relay.mode = 'hang';
    daemon = startDaemon(setup!);
    await post('the mark fails');
    await waitUntil(() => relay.heldCount === CONNECTIONS, { what: 'both connections sending' });
    // From now on the daemon's database refuses to mark a copy sent.
    const db = new Database(setup!.dbFile);
    try {
      db.exec(
        "CREATE TRIGGER test_refuse_sent BEFORE UPDATE ON outbox WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'the test refuses this write'); END",
      );
      relay.mode = 'ok';
      relay.releaseHeld();
      await daemon.waitForLog(/^DB_TROUBLE .*where=deliver\.mark/);
      // A while with the mark failing (the daemon tries it again and again): nothing else happens.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      assert.equal(relay.delivered.length, CONNECTIONS, 'the two accepted copies, not sent again');
      assert.deepEqual(counts(), { sending: CONNECTIONS, pending: MEMBERS.length - CONNECTIONS });
      assert.deepEqual(logged(/^(DEFERRED|FAILED|SENT) /), [], 'no SMTP failure, no retry, no SENT before the mark');
      db.exec('DROP TRIGGER test_refuse_sent');
    } finally {
      db.close();
    }
    await waitUntil(() => counts().sent === MEMBERS.length, { what: 'every copy marked sent', timeoutMs: 30_000 });
    assertEachOnce(MEMBERS.length);
    assert.equal(logged(/^SENT /).length, MEMBERS.length);
    assert.equal(logged(/^RECORDED /).length, 1, 'the two held outcomes written together once writes work');
  });
});
