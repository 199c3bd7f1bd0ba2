import assert from 'node:assert/strict';
import { MODERATORS, REQUESTS_ADDRESS } from '../../helpers/context';
import {
  ALPHA,
  BETA,
  Disclosures,
  GAMMA,
  isoLine,
  MEMBERS,
  OPENING_SUBJECT,
  type Opened,
} from '../../helpers/disclosures';
import { makeMessage } from '../../helpers/mail-factory';
import {
  authenticated,
  DAY,
  MODERATOR,
  MODERATOR_2,
  MODERATOR_DOMAIN,
  reply,
  type Sent,
} from '../../helpers/membership';

describe('commands/embargo: EMBARGO and LIFT in reply to the "opened" mail', () => {
  let h: Disclosures;
  let thread: Opened;

  beforeEach(async () => {
    h = new Disclosures();
    thread = await h.open();
  });

  /** Everything EMBARGO or LIFT could change. */
  function state(): unknown {
    return { disclosures: h.disclosures(), tokens: h.tokens() };
  }

  describe('EMBARGO <date>', () => {
    it('moves the end, tells every member in the thread and the moderators, and audits it', async () => {
      const before = h.mark();
      const result = await h.command(thread.opened, `EMBARGO ${isoLine(h.at(6 * DAY))}\n`);
      assert.equal(result.outcome, 'moderator-command');
      assert.equal(h.disclosure(1).embargo_end, '2026-03-16T09:30:00.000Z');
      const notices = await h.mailsTo(ALPHA.address, /Embargo end moved to/, before);
      assert.equal(notices.length, 1);
      const notice = notices[0]!;
      assert.deepEqual([...notice.to].sort(), MEMBERS.map((m) => m.address).sort());
      assert.equal(
        notice.subject,
        `[EMBARGOED until 2026-03-16 09:30 UTC] [#1] Embargo end moved to 2026-03-16 09:30 UTC: ${OPENING_SUBJECT}`,
      );
      assert.match(notice.text, /from 2026-03-13 09:30 UTC to 2026-03-16 09:30 UTC/);
      assert.equal(notice.inReplyTo, thread.messageId);
      assert.ok(h.threadMessages(1).includes(notice.messageId));
      const told = await h.find(MODERATOR, /Disclosure #1: embargo end moved to 2026-03-16 09:30 UTC/, before);
      assert.deepEqual(told.to, MODERATORS);
      const audit = h.audit().find((a) => a.action === 'disclosure.embargo')!;
      assert.deepEqual([audit.actor, audit.object], [MODERATOR, 'disclosure:1']);
      assert.deepEqual(JSON.parse(audit.detail!), { from: '2026-03-13T09:30:00.000Z', to: '2026-03-16T09:30:00.000Z' });
    });

    it('gives later replies the new end in their prefix', async () => {
      await h.command(thread.opened, `EMBARGO ${isoLine(h.at(6 * DAY))}\n`);
      const before = h.mark();
      await h.post({
        from: BETA.address,
        subject: `Re: ${OPENING_SUBJECT}`,
        body: 'Noted.\n',
        inReplyTo: thread.messageId,
      });
      assert.equal(
        (await h.find(ALPHA.address, /Re:/, before)).subject,
        `[EMBARGOED until 2026-03-16 09:30 UTC] [#1] Re: ${OPENING_SUBJECT}`,
      );
    });

    it("beyond maxEmbargoDays is refused with the parser's message, and nothing changes", async () => {
      const was = state();
      const before = h.mark();
      await h.command(thread.opened, 'EMBARGO 2026-04-10T09:30:00Z\n');
      assert.deepEqual(state(), was);
      const sent = await h.sent(before);
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]!.to, [MODERATOR]);
      assert.match(sent[0]!.subject, /Not done/);
      assert.match(
        sent[0]!.text,
        /The embargo end "2026-04-10 09:30 UTC" is more than 14 days away; give an end no later than "2026-03-24 09:30 UTC"\./,
      );
    });

    it("in the past is refused with the parser's message, and nothing changes", async () => {
      const was = state();
      const before = h.mark();
      await h.command(thread.opened, 'EMBARGO 2026-03-01T00:00:00Z\n');
      assert.deepEqual(state(), was);
      const notice = await h.find(MODERATOR, /Not done/, before);
      assert.match(notice.text, /The embargo end "2026-03-01 00:00 UTC" is in the past/);
      assert.equal((await h.sent(before)).filter((m) => m.to.includes(ALPHA.address)).length, 0);
    });

    it('without a date is refused', async () => {
      const before = h.mark();
      await h.command(thread.opened, 'EMBARGO\n');
      assert.match((await h.find(MODERATOR, /Not done/, before)).text, /No embargo end was given/);
      assert.equal(h.disclosure(1).embargo_end, '2026-03-13T09:30:00.000Z');
    });

    it('the thread token serves several EMBARGO in a row, from either moderator', async () => {
      await h.command(thread.opened, `EMBARGO ${isoLine(h.at(5 * DAY))}\n`);
      h.clock.advance(DAY);
      await h.command(thread.opened, `EMBARGO ${isoLine(h.at(7 * DAY))}\n`, MODERATOR_2);
      h.clock.advance(DAY);
      const before = h.mark();
      await h.command(thread.opened, `EMBARGO ${isoLine(h.at(4 * DAY))}\n`);
      assert.equal(h.disclosure(1).embargo_end, '2026-03-16T09:30:00.000Z');
      assert.equal(h.audit().filter((a) => a.action === 'disclosure.embargo').length, 3);
      assert.equal((await h.mailsTo(GAMMA.address, /Embargo end moved to 2026-03-16 09:30 UTC/, before)).length, 1);
      assert.equal(h.token(thread.opened.token!)!.used_at, null);
    });

    it('on a lifted thread is refused: already public', async () => {
      await h.command(thread.opened, 'LIFT\n');
      const before = h.mark();
      await h.command(thread.opened, `EMBARGO ${isoLine(h.at(5 * DAY))}\n`);
      assert.equal(h.disclosure(1).state, 'public');
      assert.match((await h.find(MODERATOR, /Not done/, before)).text, /disclosure #1 is already public/);
    });
  });

  describe('LIFT', () => {
    it('makes the thread public and tells the members once, in the thread', async () => {
      h.clock.advance(DAY);
      const before = h.mark();
      const result = await h.command(thread.opened, 'LIFT\n');
      assert.equal(result.outcome, 'moderator-command');
      const d = h.disclosure(1);
      assert.deepEqual([d.state, d.lifted_by, d.lifted_at], ['public', MODERATOR, '2026-03-11T09:30:00.000Z']);
      for (const m of MEMBERS) {
        const notices = await h.mailsTo(m.address, /Embargo lifted/, before);
        assert.equal(notices.length, 1, `one lift notice to ${m.address}`);
      }
      const notice = (await h.mailsTo(ALPHA.address, /Embargo lifted/, before))[0]!;
      assert.equal(notice.subject, `[#1] Embargo lifted: ${OPENING_SUBJECT}`);
      assert.match(notice.text, /was lifted at 2026-03-11 09:30 UTC by moderator@example\.org/);
      assert.equal(notice.inReplyTo, thread.messageId);
      await h.find(MODERATOR, /Disclosure #1: embargo lifted; the thread is public/, before);
      assert.ok(h.auditActions().includes('disclosure.lift'));
    });

    it('a second LIFT gets a "not done: already public" notice and tells nobody else', async () => {
      await h.command(thread.opened, 'LIFT\n');
      const before = h.mark();
      await h.command(thread.opened, 'LIFT\n', MODERATOR_2);
      const sent = await h.sent(before);
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]!.to, [MODERATOR_2]);
      assert.match(sent[0]!.subject, /Not done/);
      assert.match(
        sent[0]!.text,
        /not carried out: disclosure #1 is already public \(lifted at 2026-03-10T09:30:00\.000Z\)/,
      );
      assert.equal(h.disclosure(1).lifted_by, MODERATOR);
    });
  });

  describe('on an open-ended disclosure (opened with SEND)', () => {
    async function openEnded(): Promise<Sent> {
      const before = h.mark();
      await h.post({
        from: MODERATOR,
        subject: 'CVE-2026-0002: no date yet',
        body: 'We do not know the release date yet.\n',
      });
      const returned = await h.find(MODERATOR, /Not sent/, before);
      const opening = h.mark();
      await h.command(returned, 'SEND\n');
      return h.find(MODERATOR, /Disclosure #2 opened/, opening);
    }

    it('EMBARGO gives it an end, and the members are told there was none before', async () => {
      const opened = await openEnded();
      const before = h.mark();
      await h.command(opened, `EMBARGO ${isoLine(h.at(4 * DAY))}\n`);
      assert.equal(h.disclosure(2).embargo_end, '2026-03-14T09:30:00.000Z');
      const notice = await h.find(ALPHA.address, /Embargo end moved to 2026-03-14 09:30 UTC/, before);
      assert.match(notice.subject, /^\[EMBARGOED until 2026-03-14 09:30 UTC\] \[#2\]/);
      assert.doesNotMatch(notice.text, / from /);
    });

    it('LIFT makes it public', async () => {
      const opened = await openEnded();
      h.clock.advance(10 * DAY);
      await h.command(opened, 'LIFT\n');
      assert.equal(h.disclosure(2).state, 'public');
      assert.equal(h.disclosure(1).state, 'embargoed');
    });
  });

  describe('refused', () => {
    for (const keyword of ['LIFT', `EMBARGO 2026-03-16T09:30:00Z`]) {
      const word = keyword.split(' ')[0]!;

      it(`${word} from a member (not a moderator), authenticated, changes nothing and is audited`, async () => {
        const was = state();
        const before = h.mark();
        const result = await h.receive(
          reply({ from: BETA.address, to: thread.opened, body: `${keyword}\n`, auth: authenticated('beta.example') }),
        );
        assert.equal(result.outcome, 'moderator-command');
        assert.deepEqual(state(), was);
        const refused = h.audit().find((a) => a.action === 'command.refused.conditions')!;
        assert.equal(refused.actor, BETA.address);
        assert.match(refused.detail!, /the sender is not a configured moderator/);
        const sent = await h.sent(before);
        assert.equal(sent.length, 1);
        assert.deepEqual(sent[0]!.to, MODERATORS);
        assert.match(sent[0]!.subject, /Refused a command from security@beta\.example/);
      });

      it(`${word} from an unauthenticated moderator changes nothing and is audited`, async () => {
        const was = state();
        const before = h.mark();
        await h.receive(reply({ from: MODERATOR, to: thread.opened, body: `${keyword}\n` }));
        assert.deepEqual(state(), was);
        const refused = h.audit().find((a) => a.action === 'command.refused.conditions')!;
        assert.match(refused.detail!, /the sender is not authenticated/);
        assert.equal((await h.sent(before)).filter((m) => MEMBERS.some((x) => m.to.includes(x.address))).length, 0);
        await h.find(MODERATOR, /Refused a command from moderator@example\.org/, before);
      });

      it(`${word} without the token (a new mail to the requests address) changes nothing and is audited`, async () => {
        const was = state();
        const before = h.mark();
        const raw = makeMessage({
          from: MODERATOR,
          to: REQUESTS_ADDRESS,
          subject: 'Disclosure #1',
          body: `${keyword}\n`,
        });
        const result = await h.receive(Buffer.concat([Buffer.from(`${authenticated(MODERATOR_DOMAIN)}\r\n`), raw]));
        assert.equal(result.outcome, 'refuse');
        assert.deepEqual(state(), was);
        assert.ok(h.auditActions().includes('command.refused.keyword-without-token'));
        await h.find(MODERATOR, /Refused a command/, before);
      });
    }

    it('LIFT with a forged token (never issued) changes nothing and is audited', async () => {
      const was = state();
      const forged = {
        ...thread.opened,
        messageId: '<d1.00000000.tk-aaaaaaaaaaaaaaaaaaaaaaaaaa@lists.example.org>',
        subject: 'Re: Disclosure #1 opened (tk-aaaaaaaaaaaaaaaaaaaaaaaaaa)',
      };
      const result = await h.command(forged, 'LIFT\n');
      assert.equal(result.outcome, 'refuse');
      assert.deepEqual(state(), was);
      assert.ok(h.auditActions().includes('command.refused.unknown-token'));
    });

    it('LIFT sent to the list in reply to the disclosure is a thread post, not a command: the thread stays embargoed', async () => {
      const result = await h.replyInThread(MODERATOR, thread.copy, 'LIFT\n');
      assert.equal(result.outcome, 'thread-post');
      assert.equal(h.disclosure(1).state, 'embargoed');
    });
  });

  describe("the thread token's lifetime", () => {
    it("still serves LIFT after EMBARGO moved the end past the token's first expiry", async () => {
      // Opened with an end in 3 days: the token was made to last until that end plus 7 days.
      h.clock.advance(2 * DAY);
      await h.command(thread.opened, `EMBARGO ${isoLine(h.at(13 * DAY))}\n`);
      assert.equal(h.disclosure(1).embargo_end, '2026-03-25T09:30:00.000Z');
      h.clock.advance(9 * DAY); // day 11: before the new end, after the token's first expiry (day 10)
      const before = h.mark();
      await h.command(thread.opened, 'LIFT\n');
      // Today: "Token expired" to the moderator; the thread can no longer be lifted or moved by mail.
      assert.equal(h.disclosure(1).state, 'public', (await h.sent(before)).map((m) => m.subject).join(' | '));
    });

    it('still serves LIFT on an open-ended disclosure after maxEmbargoDays + 7 days, which the clock never lifts', async () => {
      const before = h.mark();
      await h.post({
        from: MODERATOR,
        subject: 'CVE-2026-0002: no date yet',
        body: 'We do not know the release date yet.\n',
      });
      const returned = await h.find(MODERATOR, /Not sent/, before);
      const opening = h.mark();
      await h.command(returned, 'SEND\n');
      const opened = await h.find(MODERATOR, /Disclosure #2 opened/, opening);
      assert.equal(h.disclosure(2).embargo_end, null);
      h.clock.advance(22 * DAY);
      const after = h.mark();
      await h.command(opened, 'LIFT\n');
      // Today: the token expired at day 21; with no end the embargo clock never lifts it either.
      assert.equal(h.disclosure(2).state, 'public', (await h.sent(after)).map((m) => m.subject).join(' | '));
    });
  });
});
