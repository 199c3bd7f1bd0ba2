/**
 * Crashes and outages: the IMAP server going away, the daemon killed mid-backlog, a clean stop.
 */
import assert from 'node:assert/strict';
import { waitUntil } from '../helpers/wait';
import { startDovecot, type Dovecot } from './harness/dovecot';
import { appendMany, listUids } from './harness/imap';
import { startSmtpPeer, type SmtpPeer } from './harness/smtp-peer';
import { addMembers, cleanup, query, startDaemon, writeConfig, type DaemonProcess, type Setup } from './helpers/daemon';
import { deliveries, memberPosts, MEMBERS_MAY_OPEN } from './helpers/member-posts';

const MEMBERS = [
  { address: 'psirt@alpha.test.example', org: 'Alpha' },
  { address: 'security@beta.test.example', org: 'Beta' },
  { address: 'secure@gamma.test.example', org: 'Gamma' },
];

const CONFIG = MEMBERS_MAY_OPEN;
const posts = (count: number, tag: string): Buffer[] => memberPosts(MEMBERS, count, tag);

describe('integration: crashes and outages', function () {
  this.timeout(180_000);
  let dovecot: Dovecot | undefined;
  let smtp: SmtpPeer | undefined;
  let setup: Setup | undefined;
  let daemon: DaemonProcess | undefined;

  afterEach(async () => {
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) await daemon.stop();
    daemon = undefined;
    await smtp?.stop();
    await dovecot?.stop();
    cleanup(setup);
  });

  it('reconnects when the IMAP server goes away mid-run and loses nothing', async () => {
    dovecot = await startDovecot();
    smtp = await startSmtpPeer();
    setup = writeConfig(dovecot, smtp, CONFIG);
    await addMembers(setup, MEMBERS);
    daemon = startDaemon(setup);
    await appendMany(dovecot, 'INBOX', posts(10, 'before'));
    await smtp.waitFor((r) => r.length >= 30);
    await dovecot.restart();
    // The old connection may outlive the restart for a moment; the new posts go in once it is gone.
    await daemon.waitForLog(/^IMAP_DISCONNECTED/, 60_000);
    await appendMany(dovecot, 'INBOX', posts(10, 'after'));
    await smtp.waitFor((r) => r.length >= 60, 60_000);
    assert.ok(daemon.logs.filter((l) => /^IMAP_CONNECTED/.test(l.msg)).length >= 2, 'connected again');
    const seen = deliveries(smtp);
    assert.equal(seen.size, 60, 'every post to every member');
    assert.ok(
      [...seen.values()].every((n) => n === 1),
      'each copy once',
    );
    await waitUntil(async () => (await listUids(dovecot!, 'Processed')).length === 20, {
      what: '20 messages in Processed',
    });
  });

  it('killed with SIGKILL three times during a backlog of 300 posts, it relays every post to every member and applies none twice', async () => {
    const POSTS = 300;
    const MAX_CONNECTIONS = 5;
    dovecot = await startDovecot();
    smtp = await startSmtpPeer();
    setup = writeConfig(dovecot, smtp, { ...CONFIG, maxConnections: MAX_CONNECTIONS });
    await addMembers(setup, MEMBERS);
    await appendMany(dovecot, 'INBOX', posts(POSTS, 'backlog'));
    const total = POSTS * MEMBERS.length;
    let kills = 0;
    // Kill at three different depths of the backlog: early, middle and late.
    for (const after of [60, 350, 700]) {
      daemon = startDaemon(setup);
      await smtp.waitFor((r) => r.length >= after, 120_000);
      await daemon.kill();
      kills += 1;
    }
    daemon = startDaemon(setup);
    await waitUntil(() => deliveries(smtp!).size === total, {
      timeoutMs: 120_000,
      what: `${total} distinct deliveries`,
    });
    await waitUntil(async () => (await listUids(dovecot!, 'Processed')).length === POSTS, {
      timeoutMs: 60_000,
      what: 'every post in Processed',
    });
    await waitUntil(
      () => query<{ n: number }>(setup!, "SELECT count(*) AS n FROM outbox WHERE status != 'sent'")[0]!.n === 0,
      { what: 'an empty outbox' },
    );
    assert.equal(await daemon.stop(), 0);

    const seen = deliveries(smtp);
    assert.equal(seen.size, total, 'no post and no member missing');
    const resent = [...seen.values()].reduce((sum, n) => sum + (n - 1), 0);
    // A kill can only repeat copies that the peer had accepted but the daemon had not yet marked
    // sent: at most one per SMTP connection in flight.
    assert.ok(
      resent <= kills * MAX_CONNECTIONS,
      `${resent} copies sent twice, at most ${kills * MAX_CONNECTIONS} allowed`,
    );
    const [inbound] = query<{ n: number; relayed: number; ids: number }>(
      setup,
      "SELECT count(*) AS n, sum(outcome = 'relay') AS relayed, count(DISTINCT message_id) AS ids FROM inbound",
    );
    assert.deepEqual(inbound, { n: POSTS, relayed: POSTS, ids: POSTS }, 'each post recorded and applied once');
    const [relays] = query<{ n: number }>(setup, "SELECT count(*) AS n FROM audit WHERE action = 'post.relay'");
    assert.equal(relays!.n, POSTS, 'one relay action per post');
    const [copies] = query<{ n: number }>(setup, 'SELECT count(*) AS n FROM outbox');
    assert.equal(copies!.n, total, 'one outbox row per post and member');
    assert.deepEqual(await listUids(dovecot, 'INBOX'), []);
  });

  it('stops cleanly on SIGTERM with exit code 0 and leaves no copy claimed', async () => {
    dovecot = await startDovecot();
    smtp = await startSmtpPeer();
    setup = writeConfig(dovecot, smtp, CONFIG);
    await addMembers(setup, MEMBERS);
    await appendMany(dovecot, 'INBOX', posts(50, 'term'));
    daemon = startDaemon(setup);
    await smtp.waitFor((r) => r.length >= 10);
    assert.equal(await daemon.stop(), 0);
    await daemon.exited;
    assert.ok(daemon.logs.some((l) => l.msg === 'STOPPED'));
    const [claimed] = query<{ n: number }>(setup, "SELECT count(*) AS n FROM outbox WHERE status = 'sending'");
    assert.equal(claimed!.n, 0);
    const [unfinished] = query<{ n: number }>(setup, "SELECT count(*) AS n FROM inbound WHERE status = 'received'");
    assert.equal(unfinished!.n, 0, 'no message left half-handled');
  });
});
