/**
 * The outbound side against a real SMTP peer that answers 451 and 550.
 */
import assert from 'node:assert/strict';
import { waitUntil } from '../helpers/wait';
import { appendRaw } from './harness/imap';
import { authenticatedMessage } from './helpers/authenticated';
import { LIST, query } from './helpers/daemon';
import { useListFixture } from './helpers/list-fixture';

const MEMBERS = [
  { address: 'psirt@alpha.test.example', org: 'Alpha' },
  { address: 'security@beta.test.example', org: 'Beta' },
  { address: 'secure@gamma.test.example', org: 'Gamma' },
];

describe('integration: delivery retries and failures (SMTP peer)', function () {
  this.timeout(60_000);
  const f = useListFixture({ users: 2, userPrefix: 'deliver', members: MEMBERS });
  /** These tests are about delivery, so members may open threads (the shipped policy would hold the post). */
  const config = { membersMayOpenThreads: true };
  const post = (subject: string) =>
    appendRaw(
      f.dovecot,
      'INBOX',
      authenticatedMessage({ from: 'psirt@alpha.test.example', to: LIST, subject }),
      f.account(),
    );

  it('retries a copy the server answered with 451 and delivers it exactly once', async () => {
    const offered = new Map<string, number>();
    await f.start({
      config,
      smtp: {
        onRcpt: (rcpt, attempt) => {
          offered.set(rcpt, attempt);
          return rcpt === 'security@beta.test.example' && attempt === 1
            ? { code: 451, message: '4.3.0 try again later' }
            : undefined;
        },
      },
    });
    await post('retry me');
    await f.smtp.waitFor((r) => r.length >= 3);
    await waitUntil(
      () => query<{ n: number }>(f.setup, "SELECT count(*) AS n FROM outbox WHERE status = 'sent'")[0]!.n === 3,
      { what: 'three copies sent' },
    );
    const beta = f.smtp.received.filter((r) => r.rcptTo.includes('security@beta.test.example'));
    assert.equal(beta.length, 1, 'delivered once');
    assert.equal(offered.get('security@beta.test.example'), 2, 'offered twice: refused, then accepted');
    const row = query<{ attempts: number; last_code: number }>(
      f.setup,
      'SELECT attempts, last_code FROM outbox WHERE recipient = ?',
      'security@beta.test.example',
    )[0]!;
    assert.equal(row.attempts, 2);
    assert.equal(row.last_code, 250);
    assert.ok(f.daemon!.logs.some((l) => /^DEFERRED .* to=security@beta\.test\.example/.test(l.msg)));
  });

  it('records a 550 for that recipient alone; the other members still get the post', async () => {
    await f.start({
      config,
      smtp: {
        onRcpt: (rcpt) =>
          rcpt === 'secure@gamma.test.example' ? { code: 550, message: '5.1.1 no such user' } : undefined,
      },
    });
    await post('one refuses');
    await waitUntil(
      () =>
        query<{ n: number }>(f.setup, "SELECT count(*) AS n FROM outbox WHERE status IN ('sent', 'failed')")[0]!.n ===
        3,
      { what: 'all three copies finished' },
    );
    assert.deepEqual(f.smtp.received.flatMap((r) => r.rcptTo).sort(), [
      'psirt@alpha.test.example',
      'security@beta.test.example',
    ]);
    const failed = query<{ recipient: string; last_code: number; last_error: string; attempts: number }>(
      f.setup,
      "SELECT recipient, last_code, last_error, attempts FROM outbox WHERE status = 'failed'",
    );
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.recipient, 'secure@gamma.test.example');
    assert.equal(failed[0]!.last_code, 550);
    assert.equal(failed[0]!.attempts, 1, 'a permanent failure is not retried');
    assert.match(failed[0]!.last_error, /no such user/);
  });
});
