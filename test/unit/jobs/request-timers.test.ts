import assert from 'node:assert/strict';
import { runExpiry } from '../../../src/jobs/expiry';
import { AppError } from '../../../src/errors';
import { MODERATORS, testConfig, trustedAuthConfig } from '../../helpers/context';
import { recordAutoReply } from '../../../src/store/auto-replies';
import { APPLICANT, DAY, Membership } from '../../helpers/membership';

const ESCALATION = 'steering@example.org';
const withEscalation = `${trustedAuthConfig()}\nlist:\n  name: Example Security\n  address: security@lists.example.org\n  requestsAddress: security-requests@lists.example.org\n  moderators: [${MODERATORS.join(', ')}]\n  escalation: ${ESCALATION}\n`;

describe('jobs/expiry: the request timers', () => {
  const purposes = async (h: Membership, mark: number) => (await h.sent(mark)).map((m) => [m.purpose, m.to]);

  it('reminds the moderators once after requestReminderDays, tells the applicant once, and escalates once after requestEscalationDays', async () => {
    const h = new Membership(withEscalation);
    await h.submit();
    h.clock.advance(3 * DAY - 60_000);
    let mark = h.mark();
    assert.equal(runExpiry(h.ctx).requestsReminded, 0, 'not yet due');
    assert.deepEqual(await purposes(h, mark), []);

    h.clock.advance(120_000);
    mark = h.mark();
    const r = runExpiry(h.ctx);
    assert.deepEqual([r.requestsReminded, r.requestsEscalated, r.reminded], [1, 0, 0]);
    const sent = await h.sent(mark);
    assert.deepEqual(
      sent.map((m) => [m.purpose, m.to]),
      [
        // The applicant first, so that the moderators' reminder can say whether it was told.
        ['applicant.notice.request-open', [APPLICANT]],
        ['moderator.notice.request-waiting', MODERATORS],
        // The moderation token (tokenDays 3) expired at the same tick: one fresh copy, not two.
        ['moderator.action.join-request', MODERATORS],
      ],
    );
    const waiting = sent.find((m) => m.purpose === 'moderator.notice.request-waiting')!;
    assert.match(waiting.text, /has waited 3 days with no decision/);
    assert.match(waiting.text, /escalated to the list's escalation address/);
    assert.match(
      sent.find((m) => m.purpose === 'applicant.notice.request-open')!.subject,
      /Your request to join \(#1\) is still open/,
    );
    assert.notEqual(h.request(1).reminded_at, null);

    // Each once: the daily clock finds nothing more before the escalation is due.
    h.clock.advance(3 * DAY);
    mark = h.mark();
    const again = runExpiry(h.ctx);
    assert.deepEqual([again.requestsReminded, again.requestsEscalated], [0, 0]);
    assert.ok(!(await purposes(h, mark)).some(([p]) => p === 'applicant.notice.request-open'));

    h.clock.advance(DAY + 60_000);
    mark = h.mark();
    assert.equal(runExpiry(h.ctx).requestsEscalated, 1);
    const escalated = (await h.sent(mark)).filter((m) => m.purpose === 'moderator.notice.request-escalated');
    assert.equal(escalated.length, 1);
    assert.deepEqual(escalated[0]!.to, [ESCALATION, ...MODERATORS]);
    assert.match(escalated[0]!.subject, /Escalated: join request #1 undecided for 7 days/);
    h.clock.advance(5 * DAY);
    mark = h.mark();
    assert.equal(runExpiry(h.ctx).requestsEscalated, 0, 'once');
    assert.ok(!(await purposes(h, mark)).some(([p]) => p === 'moderator.notice.request-escalated'));
    assert.deepEqual(
      h.auditActions().filter((a) => a === 'request.remind' || a === 'request.escalate'),
      ['request.remind', 'request.escalate'],
    );
  });

  it('never escalates without list.escalation', async () => {
    const h = new Membership();
    await h.submit();
    h.clock.advance(10 * DAY);
    const mark = h.mark();
    const r = runExpiry(h.ctx);
    assert.deepEqual([r.requestsReminded, r.requestsEscalated], [1, 0]);
    assert.ok(!(await purposes(h, mark)).some(([p]) => p === 'moderator.notice.request-escalated'));
    assert.equal(h.request(1).escalated_at, null);
    assert.doesNotMatch(
      (await h.sent(mark)).find((m) => m.purpose === 'moderator.notice.request-waiting')!.text,
      /escalation address/,
    );
  });

  it('never reminds a decided request', async () => {
    const h = new Membership(withEscalation);
    const moderation = await h.submit();
    await h.command(moderation, 'REJECT Not a redistributor.\n');
    h.clock.advance(10 * DAY);
    const mark = h.mark();
    const r = runExpiry(h.ctx);
    assert.deepEqual([r.requestsReminded, r.requestsEscalated], [0, 0]);
    assert.deepEqual(await purposes(h, mark), []);
    assert.equal(h.request(1).reminded_at, null);
  });

  it('keeps its own days: a request reminded after 5 with requestReminderDays 5', async () => {
    const h = new Membership(`${trustedAuthConfig()}\npolicy: { requestReminderDays: 5, tokenDays: 30 }\n`);
    await h.submit();
    h.clock.advance(4 * DAY);
    assert.equal(runExpiry(h.ctx).requestsReminded, 0);
    h.clock.advance(DAY + 60_000);
    const mark = h.mark();
    assert.equal(runExpiry(h.ctx).requestsReminded, 1);
    // The token is still live: the reminder alone, no fresh copy.
    assert.deepEqual(
      (await purposes(h, mark)).map(([p]) => p),
      ['applicant.notice.request-open', 'moderator.notice.request-waiting'],
    );
  });

  it('tells the applicant as an automatic answer, under the per-recipient daily cap: a forged From is not mailed past it', async () => {
    const h = new Membership();
    await h.submit();
    assert.equal(h.request(1).authenticated, 0, 'its sender may be forged');
    h.clock.advance(3 * DAY + 60_000);
    // The address has had its automatic answers for the day (other forged requests, say).
    for (let i = 0; i < h.ctx.config.policy.autoRepliesPerDay; i += 1)
      recordAutoReply(h.ctx.db, APPLICANT, h.ctx.clock().toISOString());
    let mark = h.mark();
    assert.equal(runExpiry(h.ctx).requestsReminded, 1);
    assert.ok(!(await purposes(h, mark)).some(([p]) => p === 'applicant.notice.request-open'));
    assert.equal(h.request(1).applicant_told_at, null, 'not marked as told');
    // ... and the moderators' reminder says so, rather than that the applicant was told.
    const reminder = (await h.sent(mark)).find((m) => m.purpose === 'moderator.notice.request-waiting');
    assert.match(reminder!.text, /The applicant was not told that\s+it is still open: the daily cap/);
    assert.doesNotMatch(reminder!.text, /has been told/);

    // Under the cap, it goes out as an automatic answer (RFC 3834) in reply to the request.
    const g = new Membership();
    await g.submit();
    g.clock.advance(3 * DAY + 60_000);
    mark = g.mark();
    runExpiry(g.ctx);
    const sent = await g.sent(mark);
    const notice = sent.find((m) => m.purpose === 'applicant.notice.request-open');
    assert.ok(notice);
    assert.match(
      sent.find((m) => m.purpose === 'moderator.notice.request-waiting')!.text,
      /The applicant has been told\s+that it is still open/,
    );
    assert.equal(notice.autoSubmitted, 'auto-replied');
    assert.equal(notice.inReplyTo, g.request(1).message_id);
    assert.notEqual(g.request(1).applicant_told_at, null);
  });

  it('requires policy.requestReminderDays of at least 1, so that the reminder always says how many days', () => {
    assert.throws(
      () => testConfig('policy: { requestReminderDays: 0.5 }'),
      (e: AppError) => e.code === 'CONFIG_INVALID' && /policy\.requestReminderDays/.test(e.message),
    );
    assert.equal(testConfig('policy: { requestReminderDays: 1 }').policy.requestReminderDays, 1);
  });
});
