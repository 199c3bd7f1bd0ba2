import assert from 'node:assert/strict';
import { MODERATORS, REQUESTS_ADDRESS } from '../../helpers/context';
import { ALPHA, BETA, Disclosures, GAMMA, MEMBERS, type Opened, type TestMember } from '../../helpers/disclosures';
import { makeMessage } from '../../helpers/mail-factory';
import { authenticated, DAY, MODERATOR, MODERATOR_2, MODERATOR_DOMAIN, type Sent } from '../../helpers/membership';

const LINES = 'What: the patch diff\nTo whom: a contractor at vendor.example\n';

describe('actions/leak-report (through processRaw)', () => {
  let h: Disclosures;
  let thread: Opened;

  beforeEach(async () => {
    h = new Disclosures();
    thread = await h.open();
  });

  /** A member's LEAK reply to the opening copy. */
  function leak(from: TestMember, body: string, to: Opened = thread) {
    return h.post({
      from: from.address,
      subject: `LEAK: ${to.copy.subject}`,
      body,
      inReplyTo: to.messageId,
      references: [to.messageId],
    });
  }

  async function urgentMail(after = 0): Promise<Sent> {
    return h.find(MODERATOR, /URGENT: leak/, after);
  }

  describe('a LEAK reply with What: and To whom:', () => {
    it("stores the leak with its reporter and, as the reporter's own, its leaker, and opens a retrospective", async () => {
      const result = await leak(BETA, `We forwarded it by mistake.\n\n${LINES}`);
      assert.equal(result.outcome, 'leak-report');
      const rows = h.leaks();
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.deepEqual(
        [
          row.id,
          row.disclosure_id,
          row.reporter,
          row.reporter_organization,
          row.leaker,
          row.leaker_organization,
          row.attribution,
          row.leaker_named,
          row.what,
          row.to_whom,
          row.reported_at,
          row.retro_due,
          row.retro_closed_at,
        ],
        [
          1,
          1,
          BETA.address,
          'Beta',
          BETA.address,
          'Beta',
          'self',
          null,
          'the patch diff',
          'a contractor at vendor.example',
          '2026-03-10T09:30:00.000Z',
          '2026-03-17T09:30:00.000Z',
          null,
        ],
      );
      assert.match(row.text, /We forwarded it by mistake\./);
      assert.ok(h.auditActions().includes('leak.report'));
    });

    it('relays the report into the thread, to every member', async () => {
      const before = h.mark();
      await leak(BETA, LINES);
      const relays = (await h.sent(before)).filter((m) => m.purpose === 'relay');
      assert.equal(relays.length, 1);
      assert.deepEqual([...relays[0]!.to].sort(), MEMBERS.map((m) => m.address).sort());
      assert.match(relays[0]!.subject, /\[#1\]/);
      assert.match(relays[0]!.subject, /LEAK/);
      assert.match(relays[0]!.text, /What: the patch diff/);
    });

    it('sends the moderators an urgent mail of its own with a leak token', async () => {
      const before = h.mark();
      await leak(BETA, LINES);
      const urgent = await urgentMail(before);
      assert.deepEqual(urgent.to, MODERATORS);
      assert.match(urgent.subject, /URGENT: leak reported on disclosure #1 by security@beta\.example \(tk-/);
      assert.match(urgent.text, /^ {2}Reported by: security@beta\.example \(Beta\), in thread #1$/m);
      assert.match(urgent.text, /^ {2}Leaked by: {3}security@beta\.example \(Beta\): the reporter's own leak\.$/m);
      assert.match(urgent.text, /What leaked: the patch diff/);
      assert.match(urgent.text, /To whom: {5}a contractor at vendor\.example/);
      assert.match(urgent.text, /due at 2026-03-17 09:30 UTC/);
      const token = h.token(urgent.token!)!;
      assert.deepEqual([token.purpose, token.subject, token.used_at], ['leak', '1', null]);
    });

    it('tells the reporter the report is recorded, and asks for nothing', async () => {
      const before = h.mark();
      await leak(BETA, LINES);
      const toReporter = (await h.sent(before)).filter((m) => m.to.includes(BETA.address) && m.purpose !== 'relay');
      assert.equal(toReporter.length, 1);
      assert.deepEqual(toReporter[0]!.to, [BETA.address]);
      assert.match(toReporter[0]!.subject, /\[#1\] Your leak report #1 is recorded/);
      assert.equal(toReporter[0]!.autoSubmitted, 'auto-replied');
    });
  });

  describe('a LEAK without the lines', () => {
    it('asks the reporter for What: and To whom: when both are missing, and stores the report without them', async () => {
      const before = h.mark();
      await leak(BETA, 'We forwarded it by mistake.\n');
      const ask = await h.find(BETA.address, /Your leak report #1: please say/, before);
      assert.match(ask.subject, /please say What: and To whom:$/);
      assert.deepEqual([h.leaks()[0]!.what, h.leaks()[0]!.to_whom], [null, null]);
      assert.match((await urgentMail(before)).text, /What leaked: \(not said yet: the reporter was asked\)/);
    });

    it('asks for exactly the missing line', async () => {
      const before = h.mark();
      await leak(GAMMA, 'What: the CVE number\n');
      const ask = await h.find(GAMMA.address, /Your leak report #1: please say/, before);
      assert.match(ask.subject, /please say To whom:$/);
      assert.doesNotMatch(ask.subject, /What:/);
    });

    it('is completed by a follow-up LEAK from the same reporter on the same thread: no second row', async () => {
      await leak(BETA, 'We forwarded it by mistake.\n');
      const before = h.mark();
      const result = await h.post({ from: BETA.address, subject: 'LEAK report for disclosure #1', body: LINES });
      assert.equal(result.outcome, 'leak-report');
      const rows = h.leaks();
      assert.equal(rows.length, 1);
      assert.deepEqual([rows[0]!.what, rows[0]!.to_whom], ['the patch diff', 'a contractor at vendor.example']);
      assert.match(rows[0]!.text, /We forwarded it by mistake\.[\s\S]*What: the patch diff/);
      assert.match(
        (await urgentMail(before)).subject,
        /URGENT: leak report completed on disclosure #1 by security@beta\.example/,
      );
      await h.find(BETA.address, /Your leak report #1 is recorded/, before);
      assert.ok(h.auditActions().includes('leak.update'));
    });

    it('is not announced as completed when the follow-up still lacks the lines', async () => {
      await leak(BETA, 'We forwarded it by mistake.\n');
      const before = h.mark();
      await leak(BETA, 'Sorry, still finding out who got it.\n');
      assert.equal(h.leaks().length, 1);
      await h.find(BETA.address, /please say What: and To whom:/, before);
      // Today the moderators read "URGENT: leak report completed" for a report that says neither line.
      assert.doesNotMatch((await urgentMail(before)).subject, /completed/);
    });

    it("does not complete another member's report: a LEAK from someone else is a leak of its own", async () => {
      await leak(BETA, 'We forwarded it by mistake.\n');
      await leak(GAMMA, LINES);
      assert.deepEqual(
        h.leaks().map((l) => [l.reporter, l.what]),
        [
          [BETA.address, null],
          [GAMMA.address, 'the patch diff'],
        ],
      );
    });
  });

  describe('where a LEAK comes from', () => {
    it('recognises a LEAK as a new mail naming "#1" (not a reply)', async () => {
      const result = await h.post({ from: ALPHA.address, subject: 'LEAK report for #1', body: LINES });
      assert.equal(result.outcome, 'leak-report');
      assert.deepEqual(
        h.leaks().map((l) => [l.disclosure_id, l.reporter]),
        [[1, ALPHA.address]],
      );
      const hits = JSON.parse(h.inbound(result.inboundId).hits!) as { rule: string }[];
      assert.ok(hits.some((x) => x.rule === 'names-thread'));
      assert.ok(!hits.some((x) => x.rule === 'in-thread'));
    });

    it('holds a LEAK that names no thread (leak-without-thread) and stores nothing', async () => {
      const before = h.mark();
      const result = await h.post({ from: ALPHA.address, subject: 'LEAK', body: LINES });
      assert.equal(result.outcome, 'hold');
      assert.equal(h.leaks().length, 0);
      assert.ok(h.auditActions().includes('post.hold.leak-without-thread'));
      const sent = await h.sent(before);
      assert.equal(sent.length, 1);
      assert.match(sent[0]!.subject, /Held: LEAK \(tk-[a-z2-7]{26}\)$/);
      assert.deepEqual(sent[0]!.to, MODERATORS);
    });

    it('records a LEAK against a lifted thread', async () => {
      await h.command(thread.opened, 'LIFT\n');
      assert.equal(h.disclosure(1).state, 'public');
      const before = h.mark();
      const result = await leak(BETA, LINES);
      assert.equal(result.outcome, 'leak-report');
      assert.equal(h.leaks().length, 1);
      assert.match((await urgentMail(before)).text, /\("CVE-2026-0001: header smuggling in the proxy", public\)/);
    });

    it('holds a LEAK from a stranger (leak-from-non-member), stores nothing and relays nothing', async () => {
      const before = h.mark();
      const result = await h.post({
        from: 'someone@outsider.example',
        subject: `LEAK: ${thread.copy.subject}`,
        body: LINES,
        inReplyTo: thread.messageId,
      });
      assert.equal(result.outcome, 'hold');
      assert.equal(h.leaks().length, 0);
      assert.ok(h.auditActions().includes('post.hold.leak-from-non-member'));
      const sent = await h.sent(before);
      assert.equal(sent.filter((m) => m.purpose === 'relay').length, 0);
      assert.deepEqual(
        sent.map((m) => m.to),
        [MODERATORS],
      );
    });

    it("holds an unauthenticated member's LEAK and stores nothing", async () => {
      const result = await h.post({
        from: BETA.address,
        subject: `LEAK: ${thread.copy.subject}`,
        body: LINES,
        inReplyTo: thread.messageId,
        auth: false,
      });
      assert.equal(result.outcome, 'hold');
      assert.equal(h.leaks().length, 0);
    });
  });

  describe('the leak limit', () => {
    it("sends one removal proposal with the REMOVE line at the member's second own leak within leakWindowDays", async () => {
      await leak(BETA, LINES);
      assert.equal((await h.mailsTo(MODERATOR, /Removal proposal/)).length, 0, 'not at the first');
      h.clock.advance(10 * DAY);
      const second = await h.open({ subject: 'CVE-2026-0002: another one' });
      const before = h.mark();
      await leak(BETA, 'What: the CVE number\nTo whom: our public issue tracker\n', second);
      const proposals = await h.mailsTo(MODERATOR, /Removal proposal/, before);
      assert.equal(proposals.length, 1);
      assert.deepEqual(proposals[0]!.to, MODERATORS);
      assert.match(proposals[0]!.subject, /Removal proposal: security@beta\.example \(2 leaks\)/);
      assert.equal(
        (proposals[0]!.text.match(/^ {4}Reported by: security@beta\.example \(Beta\), in thread #\d$/gm) ?? []).length,
        2,
      );
      assert.match(proposals[0]!.text, /^ {2}REMOVE security@beta\.example repeated leaks: #1, #2$/m);
      assert.match(proposals[0]!.text, /leak #1 on disclosure #1/);
      assert.match(proposals[0]!.text, /leak #2 on disclosure #2/);
      assert.equal(h.leaks()[1]!.removal_proposed_at, h.clock.now().toISOString());
      assert.ok(h.auditActions().includes('leak.removal-proposed'));
    });

    it('gives a REMOVE line that, sent by a moderator to the requests address, starts the removal', async () => {
      await leak(BETA, LINES);
      const before = h.mark();
      await leak(BETA, 'What: the CVE number\nTo whom: our public issue tracker\n');
      const proposal = await h.find(MODERATOR, /Removal proposal/, before);
      const line = /^ {2}(REMOVE .*)$/m.exec(proposal.text)![1]!;
      const after = h.mark();
      const raw = makeMessage({ from: MODERATOR, to: REQUESTS_ADDRESS, subject: 'Remove Beta', body: `${line}\n` });
      const result = await h.receive(Buffer.concat([Buffer.from(`${authenticated(MODERATOR_DOMAIN)}\r\n`), raw]));
      assert.equal(result.outcome, 'moderator-command');
      const confirm = await h.find(MODERATOR, /security@beta\.example/, after);
      assert.equal(h.token(confirm.token!)!.purpose, 'remove');
      assert.match(confirm.text, /repeated leaks: #1, #2/);
    });

    it('counts two aliases of one organization apart: one leak each is no proposal', async () => {
      // Before leaks were counted per alias, these two reports made "Removal proposal: Beta (2 leaks)".
      const other: TestMember = { address: 'cert@beta.example', organization: 'Beta' };
      h = new Disclosures('', [...MEMBERS, other]);
      thread = await h.open();
      await leak(BETA, LINES);
      await leak(other, 'What: the PoC\nTo whom: a customer\n');
      assert.deepEqual(
        h.leaks().map((l) => l.leaker),
        [BETA.address, other.address],
      );
      assert.equal((await h.mailsTo(MODERATOR, /Removal proposal/)).length, 0);
    });

    it('does not count leaks outside the window', async () => {
      h = new Disclosures('leakWindowDays: 30');
      thread = await h.open();
      await leak(BETA, LINES);
      h.clock.advance(31 * DAY);
      const second = await h.open({ subject: 'CVE-2026-0002: another one' });
      const before = h.mark();
      await leak(BETA, 'What: the CVE number\nTo whom: our public issue tracker\n', second);
      assert.equal(h.leaks().length, 2);
      assert.equal((await h.mailsTo(MODERATOR, /Removal proposal/, before)).length, 0);
    });

    it('does not propose removal when a follow-up only completes the first leak', async () => {
      await leak(BETA, 'We forwarded it by mistake.\n');
      await leak(BETA, LINES);
      assert.equal(h.leaks().length, 1);
      assert.equal((await h.mailsTo(MODERATOR, /Removal proposal/)).length, 0);
    });
  });

  describe('RETRO in reply to the urgent mail', () => {
    it('closes the retrospective with the summary, tells the moderators and the reporter', async () => {
      const before = h.mark();
      await leak(BETA, LINES);
      const urgent = await urgentMail(before);
      h.clock.advance(2 * DAY);
      const after = h.mark();
      const result = await h.command(urgent, 'RETRO The alias forwarded to a vendor; forwarding is now off\n');
      assert.equal(result.outcome, 'moderator-command');
      const row = h.leaks()[0]!;
      assert.deepEqual(
        [row.retro_closed_at, row.retro_closed_by, row.retro_summary],
        ['2026-03-12T09:30:00.000Z', MODERATOR, 'The alias forwarded to a vendor; forwarding is now off'],
      );
      const closed = await h.find(MODERATOR, /Retrospective closed: leak #1 on disclosure #1/, after);
      assert.match(closed.text, /^ {2}Reported by: security@beta\.example \(Beta\), in thread #1$/m);
      assert.match(closed.text, /^ {2}Leaked by: {3}security@beta\.example \(Beta\): the reporter's own leak$/m);
      assert.deepEqual(closed.to, [...MODERATORS, BETA.address]);
      assert.match(closed.text, /The alias forwarded to a vendor; forwarding is now off/);
      assert.equal(h.token(urgent.token!)!.used_by, MODERATOR);
      assert.ok(h.auditActions().includes('leak.retro'));
    });

    it('a second RETRO gets "Already decided" and keeps the first summary', async () => {
      const before = h.mark();
      await leak(BETA, LINES);
      const urgent = await urgentMail(before);
      await h.command(urgent, 'RETRO First summary\n');
      const after = h.mark();
      await h.command(urgent, 'RETRO Second summary\n', MODERATOR_2);
      await h.find(MODERATOR_2, /Already decided: the retrospective of leak #1/, after);
      assert.equal(h.leaks()[0]!.retro_summary, 'First summary');
      assert.equal((await h.mailsTo(MODERATOR, /Retrospective closed/, after)).length, 0);
    });

    it('RETRO without a summary is refused with a notice and leaves the retrospective open', async () => {
      const before = h.mark();
      await leak(BETA, LINES);
      const urgent = await urgentMail(before);
      const after = h.mark();
      await h.command(urgent, 'RETRO\n');
      const notice = await h.find(MODERATOR, /Not done/, after);
      assert.match(notice.text, /RETRO needs the summary on the same line/);
      assert.equal(h.leaks()[0]!.retro_closed_at, null);
      assert.equal(h.token(urgent.token!)!.used_at, null);
    });

    it('RETRO from a member is refused and audited; the retrospective stays open', async () => {
      const before = h.mark();
      await leak(BETA, LINES);
      const urgent = await urgentMail(before);
      const after = h.mark();
      await h.command(urgent, 'RETRO nothing happened\n', ALPHA.address);
      assert.equal(h.leaks()[0]!.retro_closed_at, null);
      assert.ok(h.auditActions().includes('command.refused.conditions'));
      await h.find(MODERATOR, /Refused a command from psirt@alpha\.example/, after);
    });
  });
});
