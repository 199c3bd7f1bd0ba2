/**
 * The moderation queue: every held message is kept in `held` and put before the moderators in one
 * mail with a `held` token; APPROVE, REJECT <reason> and DISCARD in reply decide it, the first
 * decision wins, and what nobody decides expires after policy.holdDays.
 */
import assert from 'node:assert/strict';
import { discardHeld } from '../../../src/actions/held-decision';
import { runExpiry } from '../../../src/jobs/expiry';
import { transaction } from '../../../src/store/db';
import type { HeldRow } from '../../../src/store/held';
import { MODERATORS, REQUESTS_ADDRESS } from '../../helpers/context';
import { ALPHA, BETA, Disclosures, GAMMA, listMail, MEMBERS, OPENING_SUBJECT } from '../../helpers/disclosures';
import { APPLICANT, authenticated, DAY, MODERATOR, MODERATOR_2, reply, type Sent } from '../../helpers/membership';

const STRANGER = 'mallory@evil.example';
const EVERY_MEMBER = MEMBERS.map((m) => m.address).sort();
const PREFIX = '[EMBARGOED until 2026-03-13 09:30 UTC] [#1]';
const HELD_SUBJECT = /^\[Example Security\] Held: (.*) \(tk-([a-z2-7]{26})\)$/;

describe('actions/hold and the moderation queue (through processRaw)', () => {
  let h: Disclosures;

  beforeEach(() => {
    h = new Disclosures();
  });

  function held(id: number): HeldRow {
    const row = h.ctx.db.prepare('SELECT * FROM held WHERE inbound_id = ?').get(id) as HeldRow | undefined;
    assert.ok(row, `held message ${id} is in the queue`);
    return row;
  }

  /** Relayed copies queued after `after`, one entry per outbox message with its recipients. */
  async function relayed(after: number): Promise<Sent[]> {
    return (await h.sent(after)).filter((m) => m.purpose === 'relay');
  }

  /** Receives `raw`, checks that it was held, and returns its number and the one mail the moderators got. */
  async function holdOf(raw: Buffer): Promise<{ id: number; mail: Sent }> {
    const before = h.mark();
    const result = await h.receive(raw);
    assert.equal(result.outcome, 'hold');
    const sent = await h.sent(before);
    assert.deepEqual(
      sent.map((m) => [m.purpose, m.to]),
      [['moderator.action.held-post', MODERATORS]],
    );
    return { id: result.inboundId, mail: sent[0]! };
  }

  /** A stranger's post to the list: held as non-member. */
  const strangerPost = (subject = 'Exploit for sale'): Buffer =>
    listMail({ from: STRANGER, subject, body: 'Buy it now.\n' });

  /** A reply to the requests address that answers some mail of ours without a token: held, not relayable. */
  const answerToOurMail = (): Buffer =>
    reply({
      from: APPLICANT,
      subject: 'Re: Your request',
      body: 'Thank you!\n',
      inReplyTo: '<ack-1@lists.example.org>',
    });

  describe('the queue', () => {
    it('keeps every held message with all its reasons, and sends the moderators one mail for each with its own token', async () => {
      const first = await holdOf(strangerPost());
      const second = await holdOf(
        listMail({ from: ALPHA.address, subject: 'Unsigned post', body: 'Hello.\n', auth: false }),
      );

      assert.deepEqual(JSON.parse(held(first.id).reasons), [`${STRANGER} is neither a member nor a moderator`]);
      assert.deepEqual(JSON.parse(held(second.id).reasons), [
        `${ALPHA.address} is not authenticated: no trusted Authentication-Results at the top of the message`,
        'members may not open threads (policy.membersMayOpenThreads is off)',
      ]);
      for (const { id, mail } of [first, second]) {
        const row = held(id);
        assert.deepEqual(
          [row.state, row.relayable, row.held_at, row.expires_at],
          ['held', 1, '2026-03-10T09:30:00.000Z', '2026-03-24T09:30:00.000Z'],
        );
        const [, subject, token] = HELD_SUBJECT.exec(mail.subject) ?? [];
        assert.equal(subject, row.subject);
        assert.equal(mail.token, token, 'the Message-ID carries the token of the subject');
        assert.deepEqual([h.token(token!)?.purpose, h.token(token!)?.subject], ['held', String(id)]);
        assert.match(mail.text, new RegExp(`It waits for you as held message ${id}\\.`));
        for (const reason of JSON.parse(row.reasons) as string[])
          assert.ok(mail.text.includes(`  - ${reason}\n`), reason);
        assert.match(mail.text, /^ {2}APPROVE /m);
      }
      assert.notEqual(first.mail.token, second.mail.token);
      assert.deepEqual(h.auditActions(), ['post.hold.non-member', 'post.hold.unauthenticated']);
      assert.deepEqual(await relayed(0), []);
    });

    it('marks a message to the requests address as not relayable, and offers no APPROVE for it', async () => {
      const { id, mail } = await holdOf(answerToOurMail());
      assert.deepEqual([held(id).relayable, held(id).sender], [0, APPLICANT]);
      assert.match(mail.text, new RegExp(`^A message sent to ${REQUESTS_ADDRESS.replace(/\./g, '\\.')} was held`));
      assert.doesNotMatch(mail.text, /APPROVE/);
      assert.match(mail.text, /^ {2}REJECT <reason> /m);
    });

    it("gives only the reasons that apply: a stranger's post does not say that members may not open threads", async () => {
      h = new Disclosures('membersMayOpenThreads: false');
      const { id, mail } = await holdOf(strangerPost());
      assert.deepEqual(JSON.parse(held(id).reasons), [`${STRANGER} is neither a member nor a moderator`]);
      assert.doesNotMatch(mail.text, /members may not open threads/);
    });
  });

  describe('APPROVE', () => {
    it('by an authenticated moderator relays the held message to every member, once, and uses the token', async () => {
      const { id, mail } = await holdOf(strangerPost());
      const before = h.mark();
      const result = await h.command(mail, 'APPROVE\n');
      assert.equal(result.outcome, 'moderator-command');

      const copies = await relayed(before);
      assert.equal(copies.length, 1);
      assert.deepEqual([...copies[0]!.to].sort(), EVERY_MEMBER);
      assert.equal(copies[0]!.subject, 'Exploit for sale');
      assert.match(copies[0]!.text, /Buy it now\./);
      assert.deepEqual(
        (await h.sent(before)).map((m) => m.purpose),
        ['relay'],
        'nothing else is sent',
      );

      const row = held(id);
      assert.deepEqual(
        [row.state, row.decided_by, row.decided_at],
        ['approved', MODERATOR, '2026-03-10T09:30:00.000Z'],
      );
      assert.deepEqual(
        [h.token(mail.token!)!.used_by, h.token(mail.token!)!.used_at],
        [MODERATOR, '2026-03-10T09:30:00.000Z'],
      );
      assert.deepEqual(h.auditActions().slice(-2), ['post.relay', 'held.approve']);
    });

    it('a second decision by mail gets "Already decided", changes nothing and relays nothing more', async () => {
      const { id, mail } = await holdOf(strangerPost());
      await h.command(mail, 'APPROVE\n');
      for (const [keyword, from] of [
        ['APPROVE', MODERATOR],
        ['DISCARD', MODERATOR_2],
        ['REJECT Spam', MODERATOR_2],
      ] as const) {
        const before = h.mark();
        await h.command(mail, `${keyword}\n`, from);
        const sent = await h.sent(before);
        assert.deepEqual(
          sent.map((m) => [m.purpose, m.to]),
          [['moderator.notice.already-decided', [from]]],
          keyword,
        );
        assert.equal(sent[0]!.subject, `[Example Security] Already decided: held message ${id}`);
        assert.match(sent[0]!.text, /Decided by: moderator@example\.org/);
      }
      assert.deepEqual([held(id).state, held(id).decided_by], ['approved', MODERATOR]);
      assert.equal((await relayed(0)).length, 1);
    });

    it('after a decision on the server, a decision by mail gets "Not done" and changes nothing', async () => {
      const { id, mail } = await holdOf(strangerPost());
      assert.deepEqual(
        transaction(h.ctx.db, () => discardHeld(h.ctx, id, 'operator:test')),
        { ok: true, copies: 0 },
      );
      const before = h.mark();
      await h.command(mail, 'APPROVE\n');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.cannot-approve', [MODERATOR]]],
      );
      assert.equal(sent[0]!.subject, '[Example Security] Not done');
      assert.match(
        sent[0]!.text,
        new RegExp(`held message ${id} was already discarded by operator:test at 2026-03-10T09:30:00\\.000Z`),
      );
      assert.deepEqual([held(id).state, held(id).decided_by], ['discarded', 'operator:test']);
      assert.equal(h.token(mail.token!)!.used_at, null, 'a command not carried out does not use the token');
    });

    it('of a message sent to the requests address is refused with "Not done"; it stays held and can still be discarded', async () => {
      const { id, mail } = await holdOf(answerToOurMail());
      let before = h.mark();
      await h.command(mail, 'APPROVE\n');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.cannot-approve', [MODERATOR]]],
      );
      assert.match(
        sent[0]!.text,
        new RegExp(`held message ${id} was not sent to the list, so there is nothing to relay; REJECT or DISCARD it`),
      );
      assert.equal(held(id).state, 'held');
      assert.equal(h.token(mail.token!)!.used_at, null);

      before = h.mark();
      await h.command(mail, 'DISCARD\n');
      assert.deepEqual(await h.sent(before), []);
      assert.equal(held(id).state, 'discarded');
    });

    it('of a held reply in a disclosure thread relays it into the thread, with the thread prefix and footer', async () => {
      const thread = await h.open();
      const { id, mail } = await holdOf(
        listMail({
          from: BETA.address,
          subject: `Re: ${thread.copy.subject}`,
          body: 'We reproduce it.\n',
          inReplyTo: thread.messageId,
          references: [thread.messageId],
          messageId: '<unsigned-reply@beta.example>',
          auth: false,
        }),
      );
      assert.deepEqual(JSON.parse(held(id).reasons), [
        `${BETA.address} is not authenticated: no trusted Authentication-Results at the top of the message`,
      ]);
      const before = h.mark();
      await h.command(mail, 'APPROVE\n');
      const copies = await relayed(before);
      assert.equal(copies.length, 1);
      assert.deepEqual([...copies[0]!.to].sort(), EVERY_MEMBER);
      assert.equal(copies[0]!.subject, `Re: ${PREFIX} ${OPENING_SUBJECT}`);
      assert.match(copies[0]!.text, /We reproduce it\./);
      assert.match(copies[0]!.text, /EMBARGOED until 2026-03-13 09:30 UTC\. Disclosure #1/);
      assert.ok(h.threadMessages(1).includes('<unsigned-reply@beta.example>'), 'the reply belongs to the thread now');
      const approve = h.audit().find((a) => a.action === 'held.approve')!;
      assert.deepEqual(JSON.parse(approve.detail!), { thread: 1 });
    });

    it('of a held reply that names its thread only by "[#1]" in the subject (no In-Reply-To) relays it into the thread too', async () => {
      const thread = await h.open();
      const { mail } = await holdOf(
        listMail({
          from: BETA.address,
          subject: `Re: ${thread.copy.subject}`,
          body: 'Reply without references.\n',
          messageId: '<bare-reply@beta.example>',
          auth: false,
        }),
      );
      const before = h.mark();
      await h.command(mail, 'APPROVE\n');
      const [copy] = await relayed(before);
      assert.match(copy!.text, /EMBARGOED until 2026-03-13 09:30 UTC\. Disclosure #1/, 'the embargo footer');
      assert.ok(h.threadMessages(1).includes('<bare-reply@beta.example>'), 'the reply belongs to the thread now');
    });

    it('relays a held new post as a plain post, without a thread prefix', async () => {
      await h.open();
      const { mail } = await holdOf(strangerPost('Not about any thread'));
      const before = h.mark();
      await h.command(mail, 'APPROVE\n');
      const [copy] = await relayed(before);
      assert.equal(copy!.subject, 'Not about any thread');
      assert.doesNotMatch(copy!.text, /EMBARGOED/);
    });

    it('once: a copy of the approved post that arrives again is dropped as a duplicate, not put before the moderators again', async () => {
      const raw = listMail({
        from: STRANGER,
        subject: 'Exploit for sale',
        body: 'Buy it now.\n',
        messageId: '<offer-1@evil.example>',
      });
      const { mail } = await holdOf(raw);
      await h.command(mail, 'APPROVE\n');
      const before = h.mark();
      const again = await h.receive(raw);
      assert.equal(again.outcome, 'discard');
      assert.deepEqual(await h.sent(before), []);
    });
  });

  describe('REJECT and DISCARD', () => {
    it('REJECT <reason> closes the held message and sends the reason to the sender, and nothing to the members', async () => {
      const raw = listMail({
        from: STRANGER,
        subject: 'Exploit for sale',
        body: 'Buy it now.\n',
        messageId: '<offer-2@evil.example>',
      });
      const { id, mail } = await holdOf(raw);
      const before = h.mark();
      await h.command(mail, 'REJECT This list does not take offers.\n', MODERATOR_2);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['requester.notice.post-rejected', [STRANGER]]],
      );
      assert.equal(sent[0]!.subject, '[Example Security] Your message was not sent to the list: Exploit for sale');
      assert.match(sent[0]!.text, /The moderators' reason:\n\n {2}This list does not take offers\.\n/);
      assert.equal(sent[0]!.inReplyTo, '<offer-2@evil.example>');
      assert.equal(sent[0]!.autoSubmitted, 'auto-replied');
      const row = held(id);
      assert.deepEqual(
        [row.state, row.decided_by, row.reason],
        ['rejected', MODERATOR_2, 'This list does not take offers.'],
      );
      assert.ok(h.auditActions().includes('held.reject'));
    });

    it('REJECT without a reason tells the sender that the moderators gave none', async () => {
      const { mail } = await holdOf(strangerPost());
      const before = h.mark();
      await h.command(mail, 'REJECT\n');
      const notice = await h.find(STRANGER, /not sent to the list/, before);
      assert.match(notice.text, /The moderators did not give a reason\./);
    });

    it('DISCARD closes the held message and sends nothing to anyone', async () => {
      const { id, mail } = await holdOf(strangerPost());
      const before = h.mark();
      await h.command(mail, 'DISCARD\n');
      assert.deepEqual(await h.sent(before), []);
      assert.deepEqual([held(id).state, held(id).decided_by], ['discarded', MODERATOR]);
      assert.ok(h.auditActions().includes('held.discard'));
    });
  });

  describe('replies that are refused', () => {
    it("an unauthenticated APPROVE from a moderator's address changes nothing, and the moderators are told", async () => {
      const { id, mail } = await holdOf(strangerPost());
      const before = h.mark();
      const result = await h.receive(reply({ from: MODERATOR, to: mail, body: 'APPROVE\n' }));
      assert.equal(result.outcome, 'moderator-command');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.command-refused', MODERATORS]],
      );
      assert.match(sent[0]!.text, /is not authenticated/);
      assert.equal(held(id).state, 'held');
      assert.equal(h.token(mail.token!)!.used_at, null);
    });

    it('an authenticated member who is not a moderator, with the right token, changes nothing', async () => {
      const { id, mail } = await holdOf(strangerPost());
      const before = h.mark();
      await h.receive(
        reply({ from: ALPHA.address, to: mail, body: 'APPROVE\n', auth: authenticated('alpha.example') }),
      );
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.command-refused', MODERATORS]],
      );
      assert.match(sent[0]!.text, /the sender is not a configured moderator/);
      assert.equal(held(id).state, 'held');
      assert.deepEqual(await relayed(before), []);
    });
  });

  describe("members' new threads (policy.membersMayOpenThreads)", () => {
    it("holds a member's new post (member-new-thread) when members may not open threads; APPROVE relays it as a plain post", async () => {
      h = new Disclosures('membersMayOpenThreads: false');
      assert.equal(h.ctx.config.policy.membersMayOpenThreads, false);
      const { id, mail } = await holdOf(
        listMail({ from: ALPHA.address, subject: 'Which versions do you ship?', body: 'Just asking.\n' }),
      );
      assert.deepEqual(h.auditActions(), ['post.hold.member-new-thread']);
      assert.deepEqual(JSON.parse(held(id).reasons), [
        'members may not open threads (policy.membersMayOpenThreads is off)',
      ]);
      assert.equal(held(id).relayable, 1);
      const hits = JSON.parse(h.inbound(id).hits!) as { rule: string }[];
      assert.ok(hits.some((x) => x.rule === 'members-may-not-open'));

      const before = h.mark();
      await h.command(mail, 'APPROVE\n');
      const [copy] = await relayed(before);
      assert.deepEqual([...copy!.to].sort(), EVERY_MEMBER);
      assert.equal(copy!.subject, 'Which versions do you ship?');
    });

    it("still relays a member's reply in a disclosure thread, and a moderator's new post still opens a disclosure", async () => {
      h = new Disclosures('membersMayOpenThreads: false');
      const thread = await h.open();
      const result = await h.replyInThread(GAMMA.address, thread.copy, 'Patched here.\n');
      assert.equal(result.outcome, 'thread-post');
      assert.equal(h.ctx.db.prepare('SELECT count(*) FROM held').pluck().get(), 0);
    });

    it("relays a member's new post at once when members may open threads", async () => {
      h = new Disclosures('membersMayOpenThreads: true');
      const before = h.mark();
      const result = await h.post({
        from: ALPHA.address,
        subject: 'Which versions do you ship?',
        body: 'Just asking.\n',
      });
      assert.equal(result.outcome, 'relay');
      assert.equal((await relayed(before)).length, 1);
      assert.equal(h.ctx.db.prepare('SELECT count(*) FROM held').pluck().get(), 0);
    });
  });

  describe('expiry (policy.holdDays)', () => {
    it('expires a message nobody decided after holdDays, tells the moderators once, and relays nothing', async () => {
      const { id } = await holdOf(strangerPost());
      h.clock.advance(14 * DAY - 60_000);
      assert.equal(runExpiry(h.ctx).heldExpired, 0);
      assert.equal(held(id).state, 'held');

      h.clock.advance(60_000);
      const before = h.mark();
      const result = runExpiry(h.ctx);
      assert.deepEqual(
        [result.heldExpired, result.retired],
        [1, 0],
        'the token lives a day longer, to answer a late reply',
      );
      const row = held(id);
      assert.deepEqual([row.state, row.decided_by, row.decided_at], ['expired', 'expiry', '2026-03-24T09:30:00.000Z']);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.held-expired', MODERATORS]],
      );
      assert.equal(sent[0]!.subject, `[Example Security] Held message ${id} expired: Exploit for sale`);
      assert.match(
        sent[0]!.text,
        new RegExp(`from ${STRANGER.replace(/\./g, '\\.')} \\("Exploit for sale"\\) within\\n14 days`),
      );
      assert.ok(h.auditActions().includes('held.expire'));

      const after = h.mark();
      assert.equal(runExpiry(h.ctx).heldExpired, 0, 'once');
      assert.deepEqual(await h.sent(after), []);
      assert.deepEqual(await relayed(0), []);
    });

    it('a moderator answering after the expiry gets "Not done" and nothing is relayed', async () => {
      const { id, mail } = await holdOf(strangerPost());
      h.clock.advance(14 * DAY);
      runExpiry(h.ctx);
      const before = h.mark();
      await h.command(mail, 'APPROVE\n');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => m.purpose),
        ['moderator.notice.cannot-approve'],
      );
      assert.match(sent[0]!.text, new RegExp(`held message ${id} was already expired by expiry`));
      assert.equal(held(id).state, 'expired');
    });

    it('retires the held token a day after the message expired; a reply after that came too late', async () => {
      const { mail } = await holdOf(strangerPost());
      h.clock.advance(15 * DAY);
      const result = runExpiry(h.ctx);
      assert.deepEqual([result.heldExpired, result.retired], [1, 1]);
      assert.notEqual(h.token(mail.token!)!.retired_at, null);
      const before = h.mark();
      await h.command(mail, 'APPROVE\n');
      assert.deepEqual(
        (await h.sent(before)).map((m) => m.purpose),
        ['moderator.notice.token-expired'],
      );
    });

    it('follows the configured holdDays', async () => {
      h = new Disclosures('holdDays: 2');
      const { id, mail } = await holdOf(strangerPost());
      assert.equal(held(id).expires_at, '2026-03-12T09:30:00.000Z');
      assert.match(mail.text, /it expires at 2026-03-12 09:30 UTC\./);
      h.clock.advance(2 * DAY);
      assert.equal(runExpiry(h.ctx).heldExpired, 1);
      assert.match((await h.find(MODERATOR, /expired/)).text, /within\n2 days/);
    });
  });
});
