/**
 * Disclosure threads end to end over Dovecot and the SMTP peer: opening, relaying with the
 * embargo prefix and footer, receipts, the embargo clock across a restart, leak reports, and
 * what is refused to anyone who is not an authenticated moderator or member.
 */
import assert from 'node:assert/strict';
import { makeMessage } from '../helpers/mail-factory';
import { waitUntil } from '../helpers/wait';
import { appendRaw, listUids } from './harness/imap';
import type { Received } from './harness/smtp-peer';
import { authenticatedMessage, replyTo } from './helpers/authenticated';
import { LIST, MODERATOR, query, type ConfigOptions } from './helpers/daemon';
import { useListFixture } from './helpers/list-fixture';

const ALPHA = { address: 'psirt@alpha.test.example', org: 'Alpha' };
const BETA = { address: 'security@beta.test.example', org: 'Beta' };
const GAMMA = { address: 'secure@gamma.test.example', org: 'Gamma' };
const MEMBERS = [ALPHA, BETA, GAMMA];

/** An ISO 8601 instant `ms` from now, to the second. */
function isoIn(ms: number): string {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

describe('integration: disclosure threads (Dovecot + SMTP peer)', function () {
  this.timeout(120_000);
  // The shipped configuration: posts must be authenticated, members may not open threads.
  const f = useListFixture({ users: 10, userPrefix: 'disc', members: MEMBERS });
  const account = () => f.account();
  const subjectOf = (m: Received) => m.headers.get('subject')?.[0] ?? '';
  const to = (address: string, subject: RegExp) => (r: Received[]) =>
    r.some((m) => m.rcptTo.includes(address) && subject.test(subjectOf(m)));
  const all = (address: string, subject: RegExp) =>
    f.smtp.received.filter((m) => m.rcptTo.includes(address) && subject.test(subjectOf(m)));
  const find = (address: string, subject: RegExp): Received => {
    const found = all(address, subject);
    assert.ok(
      found.length > 0,
      `a mail to ${address} with subject ${subject}; got: ${f.smtp.received.map((m) => `${m.rcptTo} ${subjectOf(m)}`).join(' | ')}`,
    );
    return found[found.length - 1]!;
  };
  const post = (raw: Buffer) => appendRaw(f.dovecot, 'INBOX', raw, account());
  const processed = (count: number) =>
    waitUntil(async () => (await listUids(f.dovecot, 'Processed', account())).length >= count, {
      what: `${count} messages processed`,
    });

  const start = (config: ConfigOptions = {}) => f.start({ config });

  /** Opens disclosure #1 with the given end and waits until every member has it. */
  async function open(end: string, body = ''): Promise<Received> {
    await post(
      authenticatedMessage({
        from: MODERATOR,
        to: LIST,
        subject: 'CVE-2026-0001: header smuggling in the proxy',
        body: `Embargo: ${end}\n\nDetails of the issue.\n${body}`,
      }),
    );
    for (const m of MEMBERS) await f.smtp.waitFor(to(m.address, /^\[EMBARGOED until .*\] \[#1\] CVE-2026-0001/));
    return find(ALPHA.address, /\[#1\]/);
  }

  it('returns an opening post without an embargo end to the moderator, unrelayed; one with an end goes to every member with prefix and footer', async () => {
    await start();
    await post(
      authenticatedMessage({ from: MODERATOR, to: LIST, subject: 'Undated disclosure', body: 'No date here.\n' }),
    );
    await f.smtp.waitFor(to(MODERATOR, /Not sent: Undated disclosure/));
    assert.match(find(MODERATOR, /Not sent/).raw.toString(), /EMBARGO <end>/);
    assert.equal(
      f.smtp.received.filter((m) => MEMBERS.some((x) => m.rcptTo.includes(x.address))).length,
      0,
      'no member got it',
    );

    const end = isoIn(7 * 86_400_000);
    const copy = await open(end);
    const text = copy.raw.toString();
    assert.match(subjectOf(copy), /^\[EMBARGOED until \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC\] \[#1\] CVE-2026-0001/);
    assert.match(text, /Details of the issue\./);
    assert.match(text, /To report a leak: reply to this mail with a subject starting with LEAK/);
    assert.match(text, /What: <exactly what leaked>/);
    await f.smtp.waitFor(to(MODERATOR, /Disclosure #1 opened/));
    assert.deepEqual(query(f.setup, 'SELECT id, state, embargo_end FROM disclosures'), [
      { id: 1, state: 'embargoed', embargo_end: new Date(end).toISOString() },
    ]);
  });

  it('relays a member reply into the thread, records an ACK without relaying it, and shows receipts', async () => {
    await start();
    const opening = await open(isoIn(7 * 86_400_000));
    await post(
      authenticatedMessage({
        from: BETA.address,
        to: LIST,
        subject: `Re: ${subjectOf(opening)}`,
        inReplyTo: opening.messageId!,
        body: 'We reproduce it on 1.2.\n',
      }),
    );
    await f.smtp.waitFor(to(GAMMA.address, /^Re: \[EMBARGOED until .*\] \[#1\]/));
    await post(
      authenticatedMessage({
        from: GAMMA.address,
        to: LIST,
        subject: `Re: ${subjectOf(opening)}`,
        inReplyTo: opening.messageId!,
        body: 'ACK\n\n> Details of the issue.\n',
      }),
    );
    await processed(3);
    await waitUntil(
      () => query<{ n: number }>(f.setup, 'SELECT count(*) AS n FROM receipts WHERE acked_at IS NOT NULL')[0]!.n === 1,
      { what: 'the ACK recorded' },
    );
    assert.equal(
      f.smtp.received.filter((m) => /^ACK/m.test(m.raw.toString().split(/\r\n\r\n/)[1] ?? '')).length,
      0,
      'the ACK was not relayed',
    );
    assert.deepEqual(query(f.setup, 'SELECT member FROM receipts WHERE acked_at IS NOT NULL'), [
      { member: GAMMA.address },
    ]);
  });

  it('reminds before the end and lifts at the end, once each, across a restart in between', async () => {
    // debug: the daemon logs every run of the embargo clock, so the test can wait for runs, not time.
    await start({
      schedule: '{ embargo: "*/1 * * * * *" }',
      policy: '{ liftReminderHours: 0.002 }',
      logLevel: 'debug',
    });
    const opening = await open(isoIn(12_000));
    for (const m of MEMBERS) await f.smtp.waitFor(to(m.address, /Embargo ends/), 30_000);
    assert.equal(await f.daemon!.stop(), 0);
    const restarted = f.startDaemon();
    for (const m of MEMBERS) await f.smtp.waitFor(to(m.address, /Embargo lifted/), 30_000);
    // Two more runs of the clock after every lift notice went out: neither may send anything again.
    const runs = () => restarted.logs.filter((l) => /^JOB embargo /.test(l.msg)).length;
    const seen = runs();
    await waitUntil(() => runs() >= seen + 2, { timeoutMs: 30_000, what: 'two more runs of the embargo clock' });
    await waitUntil(
      () => query<{ n: number }>(f.setup, "SELECT count(*) AS n FROM outbox WHERE status != 'sent'")[0]!.n === 0,
      { what: 'an empty outbox' },
    );
    for (const m of MEMBERS) {
      assert.equal(all(m.address, /Embargo ends/).length, 1, `one reminder to ${m.address}`);
      assert.equal(all(m.address, /Embargo lifted/).length, 1, `one lift notice to ${m.address}`);
    }
    const lifted = find(ALPHA.address, /Embargo lifted/);
    assert.deepEqual(lifted.headers.get('in-reply-to'), [opening.messageId], 'the notice is in the thread');
    assert.deepEqual(query(f.setup, 'SELECT state, lifted_by FROM disclosures'), [
      { state: 'public', lifted_by: 'clock' },
    ]);
  });

  it('takes a LEAK reply as a report, asks for the missing lines, and at the second leak proposes removal', async () => {
    await start();
    const opening = await open(isoIn(7 * 86_400_000));
    await post(
      authenticatedMessage({
        from: BETA.address,
        to: LIST,
        subject: `LEAK: ${subjectOf(opening)}`,
        inReplyTo: opening.messageId!,
        body: 'We forwarded it by mistake.\n',
      }),
    );
    await f.smtp.waitFor(to(BETA.address, /please say What: and To whom:/));
    await f.smtp.waitFor(to(MODERATOR, /URGENT: leak reported on disclosure #1 by security@beta\.test\.example/));
    await f.smtp.waitFor(to(ALPHA.address, /LEAK/), 20_000);
    await post(
      authenticatedMessage({
        from: BETA.address,
        to: LIST,
        subject: 'LEAK report for disclosure #1',
        body: 'What: the patch diff\nTo whom: a contractor at vendor.example\n',
      }),
    );
    await f.smtp.waitFor(to(MODERATOR, /URGENT: leak report completed/));
    assert.deepEqual(query(f.setup, 'SELECT id, reporter_organization, leaker, what, to_whom FROM leaks'), [
      {
        id: 1,
        reporter_organization: 'Beta',
        leaker: BETA.address,
        what: 'the patch diff',
        to_whom: 'a contractor at vendor.example',
      },
    ]);

    await post(
      authenticatedMessage({
        from: BETA.address,
        to: LIST,
        subject: `LEAK: again ${subjectOf(opening)}`,
        inReplyTo: opening.messageId!,
        body: 'What: the CVE number\nTo whom: our public issue tracker\n',
      }),
    );
    await f.smtp.waitFor(to(MODERATOR, /Removal proposal: security@beta\.test\.example \(2 leaks\)/));
    assert.match(
      find(MODERATOR, /Removal proposal/).raw.toString(),
      /REMOVE security@beta\.test\.example repeated leaks: #1, #2/,
    );
    await f.smtp.waitFor(to(BETA.address, /Your leak report #2 is recorded/));
  });

  it("does not take a LEAK from a non-member as a member's report, and relays nothing of it", async () => {
    await start();
    const opening = await open(isoIn(7 * 86_400_000));
    await post(
      authenticatedMessage({
        from: 'someone@outsider.test.example',
        to: LIST,
        subject: `LEAK: ${subjectOf(opening)}`,
        inReplyTo: opening.messageId!,
        body: 'What: all of it\nTo whom: everyone\n',
      }),
    );
    await f.smtp.waitFor(to(MODERATOR, /Held: LEAK/));
    assert.deepEqual(query(f.setup, 'SELECT count(*) AS n FROM leaks'), [{ n: 0 }]);
    assert.equal(all(ALPHA.address, /LEAK/).length, 0);
  });

  it("refuses EMBARGO and LIFT from anyone but an authenticated moderator, and acts on the moderator's", async () => {
    await start();
    await open(isoIn(7 * 86_400_000));
    await f.smtp.waitFor(to(MODERATOR, /Disclosure #1 opened/));
    const opened = find(MODERATOR, /Disclosure #1 opened/);
    await post(replyTo(opened, { from: MODERATOR, body: 'LIFT\n' }));
    await post(replyTo(opened, { from: BETA.address, body: 'LIFT\n', auth: true }));
    await f.smtp.waitFor(
      (r) => r.filter((m) => m.rcptTo.includes(MODERATOR) && /Refused a command/.test(subjectOf(m))).length >= 2,
    );
    assert.deepEqual(query(f.setup, 'SELECT state FROM disclosures'), [{ state: 'embargoed' }]);
    const newEnd = isoIn(9 * 86_400_000);
    await post(replyTo(opened, { from: MODERATOR, body: `EMBARGO ${newEnd}\n`, auth: true }));
    for (const m of MEMBERS) await f.smtp.waitFor(to(m.address, /Embargo end moved to/));
    assert.deepEqual(query(f.setup, 'SELECT embargo_end FROM disclosures'), [
      { embargo_end: new Date(newEnd).toISOString() },
    ]);
    await post(replyTo(opened, { from: MODERATOR, body: 'LIFT\n', auth: true }));
    for (const m of MEMBERS) await f.smtp.waitFor(to(m.address, /Embargo lifted/));
    assert.deepEqual(query(f.setup, 'SELECT state FROM disclosures'), [{ state: 'public' }]);
  });

  it('relays neither an opening post nor a thread reply with a forged From (no authentication)', async () => {
    await start();
    const opening = await open(isoIn(7 * 86_400_000));
    await post(
      makeMessage({
        from: MODERATOR,
        to: LIST,
        subject: 'Forged disclosure',
        body: 'Embargo: 2026-12-24 16:00 UTC\nClick here.\n',
      }),
    );
    await post(
      makeMessage({
        from: BETA.address,
        to: LIST,
        subject: `Re: ${subjectOf(opening)}`,
        inReplyTo: opening.messageId!,
        body: 'Forged reply.\n',
      }),
    );
    await processed(3);
    await f.smtp.waitFor(
      (r) => r.filter((m) => m.rcptTo.includes(MODERATOR) && /Held: /.test(subjectOf(m))).length >= 2,
    );
    for (const m of MEMBERS) {
      assert.equal(all(m.address, /Forged disclosure/).length, 0);
      assert.equal(
        f.smtp.received.filter((x) => x.rcptTo.includes(m.address) && /Forged reply/.test(x.raw.toString())).length,
        0,
      );
    }
    assert.deepEqual(query(f.setup, 'SELECT count(*) AS n FROM disclosures'), [{ n: 1 }]);
  });
});
