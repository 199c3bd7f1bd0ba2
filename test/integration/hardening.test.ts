/**
 * The list in the wild, over Dovecot and the SMTP peer: the moderation queue, bounces naming the
 * member through VERP, and the health and metrics endpoint.
 */
import assert from 'node:assert/strict';
import { waitUntil } from '../helpers/wait';
import { freePort } from './harness/dovecot';
import { appendRaw } from './harness/imap';
import type { Received } from './harness/smtp-peer';
import { authenticatedMessage, replyTo } from './helpers/authenticated';
import { LIST, MODERATOR, query, type ConfigOptions } from './helpers/daemon';
import { useListFixture } from './helpers/list-fixture';

const ALPHA = { address: 'psirt@alpha.test.example', org: 'Alpha' };
const BETA = { address: 'security@beta.test.example', org: 'Beta' };

describe('integration: moderation queue, bounces, health (Dovecot + SMTP peer)', function () {
  this.timeout(90_000);
  const f = useListFixture({ users: 4, userPrefix: 'hard', members: [ALPHA, BETA] });
  const account = () => f.account();
  const subjectOf = (m: Received) => m.headers.get('subject')?.[0] ?? '';
  const to = (address: string, subject: RegExp) => (r: Received[]) =>
    r.some((m) => m.rcptTo.includes(address) && subject.test(subjectOf(m)));
  const find = (address: string, subject: RegExp) =>
    f.smtp.received.filter((m) => m.rcptTo.includes(address) && subject.test(subjectOf(m))).at(-1)!;
  const start = (config: ConfigOptions = {}) => f.start({ config });

  it("holds a member's new thread for the moderators, and relays it to every member on an authenticated APPROVE", async () => {
    await start(); // the shipped configuration: members may not open threads, posts must be authenticated
    await appendRaw(
      f.dovecot,
      'INBOX',
      authenticatedMessage({ from: ALPHA.address, to: LIST, subject: 'We see a regression', body: 'Details.\n' }),
      account(),
    );
    await f.smtp.waitFor(to(MODERATOR, /^\[.*\] Held: We see a regression \(tk-/));
    const held = find(MODERATOR, /Held: We see a regression/);
    assert.match(held.raw.toString(), /members may not open threads/);
    assert.equal(f.smtp.received.filter((m) => m.rcptTo.includes(BETA.address)).length, 0, 'nothing relayed yet');
    await appendRaw(f.dovecot, 'INBOX', replyTo(held, { from: MODERATOR, body: 'APPROVE\n', auth: true }), account());
    await f.smtp.waitFor(to(BETA.address, /^We see a regression$/));
    await f.smtp.waitFor(to(ALPHA.address, /^We see a regression$/));
    assert.deepEqual(query(f.setup, 'SELECT state, decided_by FROM held'), [
      { state: 'approved', decided_by: MODERATOR },
    ]);
    const copy = find(BETA.address, /^We see a regression$/);
    assert.match(
      copy.headers.get('from')![0]!,
      /^"psirt@alpha\.test\.example via Test Early Disclosure" <sec-announce@lists\.test\.example>$/,
    );
    assert.deepEqual(copy.headers.get('x-original-from'), [ALPHA.address]);
  });

  it("sends each member's copy with its own envelope sender, and a bounce to it marks that member unreachable", async () => {
    // A relayed post is what gets bounced, so members may open threads here (the shipped policy holds it).
    await start({ policy: '{ bounceThreshold: 1 }', membersMayOpenThreads: true });
    await appendRaw(
      f.dovecot,
      'INBOX',
      authenticatedMessage({ from: ALPHA.address, to: LIST, subject: 'Patch notes' }),
      account(),
    );
    await f.smtp.waitFor((r) => r.filter((m) => /Patch notes/.test(subjectOf(m))).length >= 2);
    const betaCopy = find(BETA.address, /Patch notes/);
    const alphaCopy = find(ALPHA.address, /Patch notes/);
    assert.match(betaCopy.envelopeFrom, /^sec-announce-bounces\+[0-9a-f]{16}@lists\.test\.example$/);
    assert.notEqual(betaCopy.envelopeFrom, alphaCopy.envelopeFrom, 'one envelope sender per member');
    const dsn = [
      'From: Mail Delivery System <MAILER-DAEMON@mx.beta.test.example>',
      `To: ${betaCopy.envelopeFrom}`,
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <dsn-1@mx.beta.test.example>',
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      '',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.beta.test.example',
      '',
      `Final-Recipient: rfc822; ${BETA.address}`,
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 mailbox unknown',
      '',
      '--b1--',
      '',
    ].join('\r\n');
    await appendRaw(f.dovecot, 'INBOX', dsn, account());
    await f.smtp.waitFor(to(MODERATOR, /security@beta\.test\.example \(Beta\) looks unreachable/));
    const [row] = query<{ bounce_score: number; unreachable_at: string | null }>(
      f.setup,
      'SELECT bounce_score, unreachable_at FROM members WHERE address = ?',
      BETA.address,
    );
    assert.equal(row!.bounce_score, 1);
    assert.notEqual(row!.unreachable_at, null);
    assert.equal(
      f.smtp.received.filter((m) => m.messageId === '<dsn-1@mx.beta.test.example>').length,
      0,
      'the bounce is never relayed',
    );
  });

  it('answers /healthz and /metrics on the configured local port', async () => {
    // The daemon's HTTP port cannot be 0 (config), so a free port is picked and may be taken
    // before the daemon binds it: then the daemon logs HTTP_FAILED ... EADDRINUSE and we try another.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await start({ http: port });
      await f.daemon!.waitForLog(/^HTTP( listening|_FAILED)/);
      if (f.daemon!.logs.some((l) => /^HTTP listening/.test(l.msg))) break;
      const inUse = f.daemon!.logs.some((l) => /^HTTP_FAILED .*EADDRINUSE/.test(l.msg));
      assert.ok(
        inUse && attempt < 5,
        `the endpoint listens: ${f
          .daemon!.logs.filter((l) => /^HTTP_FAILED/.test(l.msg))
          .map((l) => l.msg)
          .join('; ')}`,
      );
    }
    await waitUntil(() => f.daemon!.logs.some((l) => /^IMAP_CONNECTED/.test(l.msg)), { what: 'IMAP' });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^# TYPE embargo_list_members_active gauge$/m);
    assert.match(metrics, /^embargo_list_members_active 2$/m);
    assert.equal((await fetch(`http://127.0.0.1:${port}/nothing`)).status, 404);
  });
});
