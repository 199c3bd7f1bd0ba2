import assert from 'node:assert/strict';
import { runExpiry } from '../../../src/jobs/expiry';
import { addMembers, MODERATORS, trustedAuthConfig } from '../../helpers/context';
import {
  ALIAS,
  APPLICANT,
  authenticated,
  DAY,
  Membership,
  MODERATOR,
  MODERATOR_DOMAIN,
  reply,
  type Sent,
} from '../../helpers/membership';

/** Past policy.tokenDays (3) from the fixed start. */
const LATER = 3 * DAY + 60_000;
const MEMBER = 'psirt@alpha.example';

/** What a run of the expiry clock did when it did nothing; a test names only the counts it expects to move. */
const NOTHING = {
  lapsed: 0,
  reminded: 0,
  retired: 0,
  heldExpired: 0,
  probesUnanswered: 0,
  requestsReminded: 0,
  requestsEscalated: 0,
};

describe('jobs/expiry (runExpiry)', () => {
  let h: Membership;

  beforeEach(() => {
    h = new Membership();
  });

  it('does nothing while every token is still valid', async () => {
    await h.approved();
    await h.submit();
    const unchanged = h.state();
    const before = h.mark();
    h.clock.advance(3 * DAY - 60_000);
    assert.deepEqual(runExpiry(h.ctx), NOTHING);
    assert.deepEqual(h.state(), unchanged);
    assert.deepEqual(await h.sent(before), []);
  });

  describe('an unanswered confirmation', () => {
    let confirm: Sent;

    beforeEach(async () => {
      ({ confirm } = await h.approved());
      h.clock.advance(LATER);
    });

    it('lapses: the request is closed as lapsed, the token retired, the alias not subscribed', () => {
      assert.deepEqual(runExpiry(h.ctx), { ...NOTHING, lapsed: 1 });
      const row = h.request(1);
      assert.equal(row.state, 'lapsed');
      assert.equal(row.decided_by, 'expiry');
      assert.notEqual(h.token(confirm.token!)!.retired_at, null, 'retired by the clock');
      assert.equal(h.token(confirm.token!)!.used_at, null, 'never used: a late reply reads "expired"');
      assert.equal(h.member(ALIAS), undefined);
      assert.deepEqual(
        h.events(1).map((e) => e.kind),
        ['received', 'approve', 'lapsed'],
      );
      assert.ok(h.auditActions().includes('request.lapse'));
    });

    it('tells the moderators once; running it again does nothing more', async () => {
      const before = h.mark();
      runExpiry(h.ctx);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.confirmation-lapsed', MODERATORS]],
      );
      assert.match(sent[0]!.subject, /Confirmation lapsed: security@seven-corp\.example \(request #1\)/);
      assert.match(sent[0]!.text, /before it expired at 2026-03-13T09:30:00\.000Z/);

      const unchanged = h.state();
      const after = h.mark();
      h.clock.advance(DAY);
      assert.deepEqual(runExpiry(h.ctx), NOTHING);
      assert.deepEqual(h.state(), unchanged);
      assert.deepEqual(await h.sent(after), []);
    });

    it('a CONFIRM arriving after the lapse subscribes nobody and is told that the confirmation expired', async () => {
      runExpiry(h.ctx);
      const before = h.mark();
      await h.receive(reply({ from: ALIAS, to: confirm, body: 'CONFIRM\n' }));
      assert.equal(h.member(ALIAS), undefined);
      assert.equal(h.request(1).state, 'lapsed');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['requester.notice.confirmation-problem', [ALIAS]]],
      );
      // The alias was not subscribed, so it must not read that nothing more is needed.
      assert.doesNotMatch(sent[0]!.text, /Nothing more is needed/);
      assert.match(sent[0]!.text, /expired/);
    });
  });

  describe('a request still in moderation whose token expired', () => {
    let moderation: Sent;

    beforeEach(async () => {
      // The token's own path, before the request timers are due (test/unit/jobs/request-timers.test.ts).
      h = new Membership(`${trustedAuthConfig()}\npolicy: { requestReminderDays: 30 }\n`);
      moderation = await h.submit();
      h.clock.advance(LATER);
    });

    it('comes back to the moderators with a new token, once', async () => {
      const before = h.mark();
      assert.deepEqual(runExpiry(h.ctx), { ...NOTHING, reminded: 1 });
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [
          ['moderator.notice.request-waiting', MODERATORS],
          ['moderator.action.join-request', MODERATORS],
        ],
      );
      assert.match(sent[0]!.subject, /Still waiting: join request #1/);
      const fresh = sent[1]!;
      assert.ok(fresh.token && fresh.token !== moderation.token);
      assert.match(fresh.text, /Reminder: this request is still waiting for a decision\./);
      const token = h.token(fresh.token)!;
      assert.deepEqual([token.purpose, token.request_id, token.used_at], ['moderate', 1, null]);
      assert.notEqual(h.token(moderation.token!)!.retired_at, null);
      assert.equal(h.token(moderation.token!)!.used_at, null);
      assert.equal(h.request(1).state, 'moderation');

      const after = h.mark();
      h.clock.advance(60_000);
      assert.deepEqual(runExpiry(h.ctx), NOTHING);
      assert.deepEqual(await h.sent(after), []);
    });

    it("the reminder's token lets a moderator decide", async () => {
      const before = h.mark();
      runExpiry(h.ctx);
      const fresh = await h.find(MODERATOR, /Join request #1/, before);
      await h.command(fresh, 'APPROVE\n');
      assert.equal(h.request(1).state, 'confirming');
    });

    it("is not reminded when a moderator's late reply already brought a fresh copy", async () => {
      await h.command(moderation, 'APPROVE\n');
      const before = h.mark();
      assert.deepEqual(runExpiry(h.ctx), NOTHING);
      assert.deepEqual(await h.sent(before), []);
    });

    it('a moderator answering the old mail after the reminder is told the token expired, not that the request was decided', async () => {
      runExpiry(h.ctx);
      const before = h.mark();
      await h.command(moderation, 'APPROVE\n');
      assert.equal(h.request(1).state, 'moderation');
      const sent = await h.sent(before);
      // The request is still waiting: "Already decided ... Decided by: expiry" would be false.
      assert.ok(
        !sent.some((m) => /Already decided/.test(m.subject)),
        `sent: ${sent.map((m) => m.subject).join(' | ')}`,
      );
      assert.ok(sent.some((m) => m.to.includes(MODERATOR) && /came too late/.test(m.subject)));
      assert.equal(h.auditActions().at(-1), 'command.expired-token');
    });
  });

  describe('other expired tokens', () => {
    let question: Sent;
    let unsubscribe: Sent;
    let remove: Sent;

    beforeEach(async () => {
      addMembers(h.ctx, MEMBER, 'psirt@beta.example');
      const moderation = await h.submit();
      let before = h.mark();
      await h.command(moderation, 'ASK Which products ship Istio?\n');
      question = await h.find(APPLICANT, /A question about your request #1/, before);
      before = h.mark();
      await h.receive(reply({ from: MEMBER, subject: 'unsubscribe', body: 'UNSUBSCRIBE\n' }));
      unsubscribe = await h.find(MEMBER, /Confirm that/, before);
      before = h.mark();
      await h.receive(
        reply({
          from: MODERATOR,
          subject: 'Remove',
          body: 'REMOVE psirt@beta.example stopped redistributing\n',
          auth: authenticated(MODERATOR_DOMAIN),
        }),
      );
      remove = await h.find(MODERATOR, /Confirm removal of psirt@beta\.example/, before);
      h.clock.advance(LATER);
    });

    it('retires expired applicant, unsubscribe and remove tokens', () => {
      const result = runExpiry(h.ctx);
      assert.equal(result.retired, 3);
      for (const mail of [question, unsubscribe, remove]) {
        const token = h.token(mail.token!)!;
        assert.equal(token.retired_at, '2026-03-13T09:31:00.000Z', `${token.purpose} token retired`);
        assert.equal(token.used_at, null);
      }
      assert.equal(h.member(MEMBER)!.status, 'active');
      assert.equal(h.member('psirt@beta.example')!.status, 'active');
      assert.equal(runExpiry(h.ctx).retired, 0, 'once');
    });

    it("an applicant's answer to a retired question is told it came too late and changes nothing", async () => {
      runExpiry(h.ctx);
      const before = h.mark();
      await h.receive(reply({ from: APPLICANT, to: question, body: 'Seven Mesh.\n' }));
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['applicant.notice.answer-too-late', [APPLICANT]]],
      );
      assert.ok(!h.events(1).some((e) => e.kind === 'answer'));
    });

    it('a member confirming a retired unsubscribe stays a member and is told the confirmation expired', async () => {
      runExpiry(h.ctx);
      const before = h.mark();
      await h.receive(reply({ from: MEMBER, to: unsubscribe, body: 'CONFIRM\n' }));
      assert.equal(h.member(MEMBER)!.status, 'active');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['requester.notice.confirmation-problem', [MEMBER]]],
      );
      // Still a member: "Nothing more is needed" would tell it the opposite.
      assert.doesNotMatch(sent[0]!.text, /Nothing more is needed/);
      assert.match(sent[0]!.text, /expired/);
    });

    it('a moderator confirming a retired removal removes nobody', async () => {
      runExpiry(h.ctx);
      await h.command(remove, 'CONFIRM\n');
      assert.equal(h.member('psirt@beta.example')!.status, 'active');
    });
  });
});
