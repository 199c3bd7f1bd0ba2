/**
 * Joining by mail, end to end over Dovecot and the SMTP peer: a request, the moderators' mail,
 * an authenticated APPROVE, the alias's confirmation, and the new member receiving a post.
 */
import assert from 'node:assert/strict';
import { makeMessage } from '../helpers/mail-factory';
import { waitUntil } from '../helpers/wait';
import { appendRaw, listUids } from './harness/imap';
import type { Received } from './harness/smtp-peer';
import { authenticatedMessage, authResults } from './helpers/authenticated';
import { LIST, MODERATOR, MODERATOR_2, query, REQUESTS, TRUSTED_MX } from './helpers/daemon';
import { ALIAS, APPLICANT, REQUEST_BODY } from './helpers/seven-corp';
import { useListFixture } from './helpers/list-fixture';

const EXISTING = { address: 'psirt@alpha.test.example', org: 'Alpha' };

const authenticated = authResults;

function reply(opts: { from: string; to: Received; body: string; auth?: string; subject?: string }): Buffer {
  const raw = makeMessage({
    from: opts.from,
    to: REQUESTS,
    subject: opts.subject ?? `Re: ${opts.to.headers.get('subject')![0]}`,
    inReplyTo: opts.to.messageId,
    references: [opts.to.messageId!],
    body: opts.body,
  });
  return opts.auth ? Buffer.concat([Buffer.from(opts.auth), raw]) : raw;
}

describe('integration: joining the list by mail (Dovecot + SMTP peer)', function () {
  this.timeout(90_000);
  const f = useListFixture({ users: 4, userPrefix: 'join', members: [EXISTING] });
  const account = () => f.account();
  const to = (address: string, subject: RegExp) => (r: Received[]) =>
    r.some((m) => m.rcptTo.includes(address) && subject.test(m.headers.get('subject')?.[0] ?? ''));
  const find = (address: string, subject: RegExp): Received => {
    const found = f.smtp.received.filter(
      (m) => m.rcptTo.includes(address) && subject.test(m.headers.get('subject')?.[0] ?? ''),
    );
    assert.ok(found.length > 0, `a mail to ${address} with subject ${subject}`);
    return found[found.length - 1]!;
  };

  beforeEach(async () => {
    // The new member's first post is a new thread: members may open threads here (the shipped
    // policy holds it for a moderator, as hardening.test.ts shows); posts are authenticated, as shipped.
    await f.start({ config: { membersMayOpenThreads: true } });
    await appendRaw(
      f.dovecot,
      'INBOX',
      makeMessage({
        from: `Jane Doe <${APPLICANT}>`,
        to: REQUESTS,
        subject: 'Seven-Corp Membership to Early Disclosure Mailing List',
        body: REQUEST_BODY,
      }),
      account(),
    );
    await f.smtp.waitFor(to(MODERATOR, /Join request #1: Seven-Corp \(tk-/));
    // The applicant's acknowledgement is queued with it but may arrive after it.
    await f.smtp.waitFor(to(APPLICANT, /Your request to join \(#1\)/));
  });

  it('takes a request through APPROVE and confirmation to a member that receives the next post', async () => {
    const ack = find(APPLICANT, /Your request to join \(#1\)/);
    assert.deepEqual(ack.headers.get('auto-submitted'), ['auto-replied']);
    assert.match(ack.raw.toString(), /Every criterion is answered/);
    const moderation = find(MODERATOR, /Join request #1/);
    // Every moderator gets it: the copies leave over several connections at once, so the second
    // moderator's may arrive after the first's.
    await f.smtp.waitFor((r) => r.some((m) => m.rcptTo.includes(MODERATOR_2) && m.messageId === moderation.messageId));
    const text = moderation.raw.toString();
    for (const answer of [
      'Yes, please subscribe',
      'We distribute the',
      'Our user base spans',
      'Acidburn, Cereal',
      'We accept.',
    ])
      assert.match(text, new RegExp(answer));
    assert.match(text, new RegExp(`Alias: +${ALIAS}`));
    assert.match(moderation.messageId!, /tk-[a-z2-7]{26}@/, 'the token travels in the Message-ID');

    await appendRaw(
      f.dovecot,
      'INBOX',
      reply({
        from: MODERATOR,
        to: moderation,
        body: 'APPROVE\n\nOn Thu, 26 Nov 2026 at 10:00, list wrote:\n> Request #1 to join\n',
        auth: authenticated('project.test.example'),
      }),
      account(),
    );
    await f.smtp.waitFor(to(ALIAS, /Confirm subscription of/));
    const confirm = find(ALIAS, /Confirm subscription of/);
    await f.smtp.waitFor(to(APPLICANT, /approved/));
    assert.match(find(APPLICANT, /approved/).raw.toString(), /confirmation mail has gone to/);
    assert.equal(query<{ state: string }>(f.setup, 'SELECT state FROM requests WHERE id = 1')[0]!.state, 'confirming');

    // Someone on the alias answers from their own mailbox: the token, not the From, ties it.
    await appendRaw(
      f.dovecot,
      'INBOX',
      reply({ from: 'zerocool@seven-corp.test.example', to: confirm, body: 'CONFIRM\n' }),
      account(),
    );
    await f.smtp.waitFor(to(ALIAS, /Welcome/));
    assert.match(find(ALIAS, /Welcome/).raw.toString(), /embargo/i);
    await f.smtp.waitFor(to(MODERATOR, /subscribed/));
    assert.deepEqual(query(f.setup, 'SELECT address, organization, status FROM members WHERE address = ?', ALIAS), [
      { address: ALIAS, organization: 'Seven-Corp', status: 'active' },
    ]);

    await appendRaw(
      f.dovecot,
      'INBOX',
      authenticatedMessage({ from: EXISTING.address, to: LIST, subject: 'Patch release 1.2.3 next week' }),
      account(),
    );
    await f.smtp.waitFor(to(ALIAS, /^Patch release 1\.2\.3 next week$/));
    const audit = query<{ action: string }>(f.setup, 'SELECT action FROM audit ORDER BY id').map((r) => r.action);
    for (const a of ['request.receive', 'request.approve', 'member.subscribe', 'post.relay'])
      assert.ok(audit.includes(a), `audit has ${a}`);
  });

  it("refuses a moderator's APPROVE that is not authenticated, tells the moderators, and changes nothing", async () => {
    const moderation = find(MODERATOR, /Join request #1/);
    await appendRaw(f.dovecot, 'INBOX', reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n' }), account());
    await f.smtp.waitFor(to(MODERATOR, /Refused a command from/));
    assert.match(find(MODERATOR, /Refused a command/).raw.toString(), /not authenticated/);
    assert.equal(query<{ state: string }>(f.setup, 'SELECT state FROM requests WHERE id = 1')[0]!.state, 'moderation');
    assert.equal(f.smtp.received.filter((m) => m.rcptTo.includes(ALIAS)).length, 0, 'no confirmation went out');
    assert.deepEqual(query(f.setup, "SELECT action FROM audit WHERE action LIKE 'command.refused%'"), [
      { action: 'command.refused.conditions' },
    ]);
  });

  it("believes only the topmost Authentication-Results: a forged pass below the receiving host's fail is refused", async () => {
    const moderation = find(MODERATOR, /Join request #1/);
    const forged = reply({
      from: MODERATOR,
      to: moderation,
      body: 'APPROVE\n',
      auth: authenticated('project.test.example'),
    });
    const raw = Buffer.concat([
      Buffer.from(authenticated('project.test.example', 'fail')),
      Buffer.from(`Received: from attacker.example by ${TRUSTED_MX}\r\n`),
      forged,
    ]);
    await appendRaw(f.dovecot, 'INBOX', raw, account());
    await f.smtp.waitFor(to(MODERATOR, /Refused a command from/));
    assert.equal(query<{ state: string }>(f.setup, 'SELECT state FROM requests WHERE id = 1')[0]!.state, 'moderation');
  });

  it('lets the first decision win and tells a second moderator who decided and when', async () => {
    const moderation = find(MODERATOR, /Join request #1/);
    await appendRaw(
      f.dovecot,
      'INBOX',
      reply({
        from: MODERATOR,
        to: moderation,
        body: 'REJECT You do not redistribute Istio.\n',
        auth: authenticated('project.test.example'),
      }),
      account(),
    );
    await f.smtp.waitFor(to(APPLICANT, /not approved/));
    assert.match(find(APPLICANT, /not approved/).raw.toString(), /You do not redistribute Istio\./);
    await appendRaw(
      f.dovecot,
      'INBOX',
      reply({ from: MODERATOR_2, to: moderation, body: 'APPROVE\n', auth: authenticated('project.test.example') }),
      account(),
    );
    await f.smtp.waitFor(to(MODERATOR_2, /Already decided: request #1/));
    const notice = find(MODERATOR_2, /Already decided/).raw.toString();
    assert.match(notice, new RegExp(`Decided by: ${MODERATOR}`));
    assert.equal(query<{ state: string }>(f.setup, 'SELECT state FROM requests WHERE id = 1')[0]!.state, 'rejected');
    await waitUntil(async () => (await listUids(f.dovecot, 'Processed', account())).length === 3, {
      what: 'three messages processed',
    });
    assert.equal(f.smtp.received.filter((m) => m.rcptTo.includes(ALIAS)).length, 0);
  });
});
