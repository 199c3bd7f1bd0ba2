/**
 * Disclosure threads end to end over Dovecot and the SMTP peer: opening, relaying with the
 * embargo prefix and footer, receipts, the embargo clock across a restart, leak reports, and
 * what is refused to anyone who is not an authenticated moderator or member.
 */
import assert from 'node:assert/strict';
import { makeMessage } from '../helpers/mail-factory';
import { waitUntil } from '../helpers/wait';
import { startDovecot, type Dovecot } from './harness/dovecot';
import { appendRaw, listUids } from './harness/imap';
import { startSmtpPeer, type Received, type SmtpPeer } from './harness/smtp-peer';
import { authenticatedMessage, replyTo } from './helpers/authenticated';
import { addMembers, cleanup, LIST, MODERATOR, query, startDaemon, writeConfig, type DaemonProcess, type Setup } from './helpers/daemon';

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
  let dovecot: Dovecot;
  let smtp: SmtpPeer;
  let setup: Setup;
  let daemon: DaemonProcess | undefined;
  let n = 0;
  const account = () => dovecot.users[n - 1]!.user;
  const subjectOf = (m: Received) => m.headers.get('subject')?.[0] ?? '';
  const to = (address: string, subject: RegExp) => (r: Received[]) => r.some((m) => m.rcptTo.includes(address) && subject.test(subjectOf(m)));
  const all = (address: string, subject: RegExp) => smtp.received.filter((m) => m.rcptTo.includes(address) && subject.test(subjectOf(m)));
  const find = (address: string, subject: RegExp): Received => {
    const found = all(address, subject);
    assert.ok(found.length > 0, `a mail to ${address} with subject ${subject}; got: ${smtp.received.map((m) => `${m.rcptTo} ${subjectOf(m)}`).join(' | ')}`);
    return found[found.length - 1]!;
  };
  const post = (raw: Buffer) => appendRaw(dovecot, 'INBOX', raw, account());
  const processed = (count: number) => waitUntil(async () => (await listUids(dovecot, 'Processed', account())).length >= count, { what: `${count} messages processed` });

  async function start(extra: Parameters<typeof writeConfig>[2] = {}): Promise<void> {
    smtp = await startSmtpPeer();
    const user = dovecot.users[n++]!;
    setup = writeConfig({ ...dovecot, users: [user] }, smtp, { requireAuthenticatedPosts: true, ...extra });
    await addMembers(setup, MEMBERS);
    daemon = startDaemon(setup);
  }

  /** Opens disclosure #1 with the given end and waits until every member has it. */
  async function open(end: string, body = ''): Promise<Received> {
    await post(authenticatedMessage({ from: MODERATOR, to: LIST, subject: 'CVE-2026-0001: header smuggling in the proxy', body: `Embargo: ${end}\n\nDetails of the issue.\n${body}` }));
    for (const m of MEMBERS) await smtp.waitFor(to(m.address, /^\[EMBARGOED until .*\] \[#1\] CVE-2026-0001/));
    return find(ALPHA.address, /\[#1\]/);
  }

  before(async () => {
    dovecot = await startDovecot({ users: Array.from({ length: 10 }, (_, i) => ({ user: `disc${i}`, password: `pw${i}` })) });
  });
  after(async () => { await dovecot?.stop(); });
  afterEach(async () => {
    if (daemon && daemon.child.exitCode === null) assert.equal(await daemon.stop(), 0);
    daemon = undefined;
    await smtp?.stop();
    cleanup(setup);
  });

  it('returns an opening post without an embargo end to the moderator, unrelayed; one with an end goes to every member with prefix and footer', async () => {
    await start();
    await post(authenticatedMessage({ from: MODERATOR, to: LIST, subject: 'Undated disclosure', body: 'No date here.\n' }));
    await smtp.waitFor(to(MODERATOR, /Not sent: Undated disclosure/));
    assert.match(find(MODERATOR, /Not sent/).raw.toString(), /EMBARGO <end>/);
    assert.equal(smtp.received.filter((m) => MEMBERS.some((x) => m.rcptTo.includes(x.address))).length, 0, 'no member got it');

    const end = isoIn(7 * 86_400_000);
    const copy = await open(end);
    const text = copy.raw.toString();
    assert.match(subjectOf(copy), /^\[EMBARGOED until \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC\] \[#1\] CVE-2026-0001/);
    assert.match(text, /Details of the issue\./);
    assert.match(text, /To report a leak: reply to this mail with a subject starting with LEAK/);
    assert.match(text, /What: <exactly what leaked>/);
    await smtp.waitFor(to(MODERATOR, /Disclosure #1 opened/));
    assert.deepEqual(query(setup, 'SELECT id, state, embargo_end FROM disclosures'), [{ id: 1, state: 'embargoed', embargo_end: new Date(end).toISOString() }]);
  });

  it('relays a member reply into the thread, records an ACK without relaying it, and shows receipts', async () => {
    await start();
    const opening = await open(isoIn(7 * 86_400_000));
    await post(authenticatedMessage({ from: BETA.address, to: LIST, subject: `Re: ${subjectOf(opening)}`, inReplyTo: opening.messageId!, body: 'We reproduce it on 1.2.\n' }));
    await smtp.waitFor(to(GAMMA.address, /^Re: \[EMBARGOED until .*\] \[#1\]/));
    await post(authenticatedMessage({ from: GAMMA.address, to: LIST, subject: `Re: ${subjectOf(opening)}`, inReplyTo: opening.messageId!, body: 'ACK\n\n> Details of the issue.\n' }));
    await processed(3);
    await waitUntil(() => query<{ n: number }>(setup, 'SELECT count(*) AS n FROM receipts WHERE acked_at IS NOT NULL')[0]!.n === 1, { what: 'the ACK recorded' });
    assert.equal(smtp.received.filter((m) => /^ACK/m.test(m.raw.toString().split(/\r\n\r\n/)[1] ?? '')).length, 0, 'the ACK was not relayed');
    assert.deepEqual(query(setup, 'SELECT member FROM receipts WHERE acked_at IS NOT NULL'), [{ member: GAMMA.address }]);
  });

  it('reminds before the end and lifts at the end, once each, across a restart in between', async () => {
    await start({ schedule: '{ embargo: "*/1 * * * * *" }', policy: '{ liftReminderHours: 0.002 }' });
    const opening = await open(isoIn(12_000));
    for (const m of MEMBERS) await smtp.waitFor(to(m.address, /Embargo ends/), 30_000);
    assert.equal(await daemon!.stop(), 0);
    daemon = startDaemon(setup);
    for (const m of MEMBERS) await smtp.waitFor(to(m.address, /Embargo lifted/), 30_000);
    await new Promise((r) => setTimeout(r, 2500)); // a few more ticks of the one-second clock
    for (const m of MEMBERS) {
      assert.equal(all(m.address, /Embargo ends/).length, 1, `one reminder to ${m.address}`);
      assert.equal(all(m.address, /Embargo lifted/).length, 1, `one lift notice to ${m.address}`);
    }
    const lifted = find(ALPHA.address, /Embargo lifted/);
    assert.deepEqual(lifted.headers.get('in-reply-to'), [opening.messageId], 'the notice is in the thread');
    assert.deepEqual(query(setup, 'SELECT state, lifted_by FROM disclosures'), [{ state: 'public', lifted_by: 'clock' }]);
  });

  it('takes a LEAK reply as a report, asks for the missing lines, and at the second leak proposes removal', async () => {
    await start();
    const opening = await open(isoIn(7 * 86_400_000));
    await post(authenticatedMessage({ from: BETA.address, to: LIST, subject: `LEAK: ${subjectOf(opening)}`, inReplyTo: opening.messageId!, body: 'We forwarded it by mistake.\n' }));
    await smtp.waitFor(to(BETA.address, /please say What: and To whom:/));
    await smtp.waitFor(to(MODERATOR, /URGENT: leak reported on disclosure #1 by security@beta\.test\.example/));
    await smtp.waitFor(to(ALPHA.address, /LEAK/), 20_000);
    await post(authenticatedMessage({ from: BETA.address, to: LIST, subject: 'LEAK report for disclosure #1', body: 'What: the patch diff\nTo whom: a contractor at vendor.example\n' }));
    await smtp.waitFor(to(MODERATOR, /URGENT: leak report completed/));
    assert.deepEqual(query(setup, 'SELECT id, reporter_organization, leaker, what, to_whom FROM leaks'), [{ id: 1, reporter_organization: 'Beta', leaker: BETA.address, what: 'the patch diff', to_whom: 'a contractor at vendor.example' }]);

    await post(authenticatedMessage({ from: BETA.address, to: LIST, subject: `LEAK: again ${subjectOf(opening)}`, inReplyTo: opening.messageId!, body: 'What: the CVE number\nTo whom: our public issue tracker\n' }));
    await smtp.waitFor(to(MODERATOR, /Removal proposal: security@beta\.test\.example \(2 leaks\)/));
    assert.match(find(MODERATOR, /Removal proposal/).raw.toString(), /REMOVE security@beta\.test\.example repeated leaks: #1, #2/);
    await smtp.waitFor(to(BETA.address, /Your leak report #2 is recorded/));
  });

  it('does not take a LEAK from a non-member as a member\'s report, and relays nothing of it', async () => {
    await start();
    const opening = await open(isoIn(7 * 86_400_000));
    await post(authenticatedMessage({ from: 'someone@outsider.test.example', to: LIST, subject: `LEAK: ${subjectOf(opening)}`, inReplyTo: opening.messageId!, body: 'What: all of it\nTo whom: everyone\n' }));
    await smtp.waitFor(to(MODERATOR, /Held: LEAK/));
    assert.deepEqual(query(setup, 'SELECT count(*) AS n FROM leaks'), [{ n: 0 }]);
    assert.equal(all(ALPHA.address, /LEAK/).length, 0);
  });

  it('refuses EMBARGO and LIFT from anyone but an authenticated moderator, and acts on the moderator\'s', async () => {
    await start();
    await open(isoIn(7 * 86_400_000));
    await smtp.waitFor(to(MODERATOR, /Disclosure #1 opened/));
    const opened = find(MODERATOR, /Disclosure #1 opened/);
    await post(replyTo(opened, { from: MODERATOR, body: 'LIFT\n' }));
    await post(replyTo(opened, { from: BETA.address, body: 'LIFT\n', auth: true }));
    await smtp.waitFor((r) => r.filter((m) => m.rcptTo.includes(MODERATOR) && /Refused a command/.test(subjectOf(m))).length >= 2);
    assert.deepEqual(query(setup, 'SELECT state FROM disclosures'), [{ state: 'embargoed' }]);
    const newEnd = isoIn(9 * 86_400_000);
    await post(replyTo(opened, { from: MODERATOR, body: `EMBARGO ${newEnd}\n`, auth: true }));
    for (const m of MEMBERS) await smtp.waitFor(to(m.address, /Embargo end moved to/));
    assert.deepEqual(query(setup, 'SELECT embargo_end FROM disclosures'), [{ embargo_end: new Date(newEnd).toISOString() }]);
    await post(replyTo(opened, { from: MODERATOR, body: 'LIFT\n', auth: true }));
    for (const m of MEMBERS) await smtp.waitFor(to(m.address, /Embargo lifted/));
    assert.deepEqual(query(setup, 'SELECT state FROM disclosures'), [{ state: 'public' }]);
  });

  it('relays neither an opening post nor a thread reply with a forged From (no authentication)', async () => {
    await start();
    const opening = await open(isoIn(7 * 86_400_000));
    await post(makeMessage({ from: MODERATOR, to: LIST, subject: 'Forged disclosure', body: 'Embargo: 2026-12-24 16:00 UTC\nClick here.\n' }));
    await post(makeMessage({ from: BETA.address, to: LIST, subject: `Re: ${subjectOf(opening)}`, inReplyTo: opening.messageId!, body: 'Forged reply.\n' }));
    await processed(3);
    await smtp.waitFor((r) => r.filter((m) => m.rcptTo.includes(MODERATOR) && /Held: /.test(subjectOf(m))).length >= 2);
    for (const m of MEMBERS) {
      assert.equal(all(m.address, /Forged disclosure/).length, 0);
      assert.equal(smtp.received.filter((x) => x.rcptTo.includes(m.address) && /Forged reply/.test(x.raw.toString())).length, 0);
    }
    assert.deepEqual(query(setup, 'SELECT count(*) AS n FROM disclosures'), [{ n: 1 }]);
  });
});
