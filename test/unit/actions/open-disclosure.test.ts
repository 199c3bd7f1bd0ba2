import assert from 'node:assert/strict';
import { LIST_ADDRESS, MODERATORS } from '../../helpers/context';
import {
  ALPHA,
  BETA,
  Disclosures,
  GAMMA,
  isoLine,
  MEMBERS,
  OPENING_SUBJECT,
  OPENING_TEXT,
} from '../../helpers/disclosures';
import { DAY, MODERATOR, type Sent } from '../../helpers/membership';

const PREFIX_3_DAYS = '[EMBARGOED until 2026-03-13 09:30 UTC] [#1]';

describe('actions/open-disclosure (through processRaw)', () => {
  let h: Disclosures;

  beforeEach(() => {
    h = new Disclosures();
  });

  /** A moderator's authenticated new post to the list with this body. */
  async function moderatorPost(
    body: string,
    subject = OPENING_SUBJECT,
  ): Promise<{ outcome: string | undefined; returned: Sent[] }> {
    const before = h.mark();
    const result = await h.post({ from: MODERATOR, subject, body });
    return { outcome: result.outcome, returned: await h.mailsTo(MODERATOR, /Not sent:/, before) };
  }

  describe('a moderator\'s authenticated post with "Embargo: <ISO in 3 days>"', () => {
    it('opens disclosure #1 with a receipt for each active member and the opening Message-ID in the thread', async () => {
      const { messageId, result } = await h.open();
      assert.equal(result.outcome, 'open-disclosure');
      const d = h.disclosure(1);
      assert.deepEqual(
        [d.subject, d.state, d.embargo_end, d.opened_by, d.opening_message_id, d.upstream],
        [OPENING_SUBJECT, 'embargoed', '2026-03-13T09:30:00.000Z', MODERATOR, messageId, 0],
      );
      assert.deepEqual(
        h.receipts(1).map((r) => [r.member, r.organization, r.acked_at]),
        [
          [ALPHA.address, 'Alpha', null],
          [GAMMA.address, 'Gamma', null],
          [BETA.address, 'Beta', null],
        ],
      );
      assert.deepEqual(h.threadMessages(1), [messageId]);
      assert.ok(h.auditActions().includes('disclosure.open'));
    });

    it('sends every member one copy whose subject carries the embargo end and the thread number, with the text and the footer', async () => {
      const { messageId } = await h.open();
      const copies = (await h.sent()).filter((m) => m.purpose === 'relay');
      assert.equal(copies.length, 1);
      const copy = copies[0]!;
      assert.deepEqual([...copy.to].sort(), MEMBERS.map((m) => m.address).sort());
      assert.equal(copy.messageId, messageId);
      assert.ok(copy.subject.startsWith(`${PREFIX_3_DAYS} `), copy.subject);
      assert.equal(copy.subject, `${PREFIX_3_DAYS} ${OPENING_SUBJECT}`);
      assert.ok(copy.text.includes(OPENING_TEXT));
      assert.match(copy.text, /EMBARGOED until 2026-03-13 09:30 UTC\. Disclosure #1 of Example Security\./);
      assert.match(copy.text, /To report a leak: reply to this mail with a subject starting with LEAK/);
      assert.match(copy.text, /^ {2}What: <exactly what leaked>$/m);
      assert.match(copy.text, /^ {2}To whom: <who received it>$/m);
      assert.doesNotMatch(copy.text, /upstream notice/);
    });

    it('tells the moderators "Disclosure #1 opened" in a mail that carries a thread token', async () => {
      const { opened } = await h.open();
      assert.deepEqual(opened.to, MODERATORS);
      assert.match(opened.subject, /Disclosure #1 opened: CVE-2026-0001/);
      assert.ok(opened.token);
      assert.ok(opened.subject.includes(`(tk-${opened.token})`));
      const token = h.token(opened.token!)!;
      assert.deepEqual([token.purpose, token.subject, token.used_at], ['thread', '1', null]);
      assert.match(opened.text, /Embargo end: {2}2026-03-13 09:30 UTC/);
      assert.match(opened.text, /sent to 3 members/);
    });

    it('sends nothing to a moderator who is not a member, and nothing to a removed member', async () => {
      h.ctx.db.prepare("UPDATE members SET status = 'removed' WHERE address = ?").run(GAMMA.address);
      await h.open();
      const copy = (await h.sent()).find((m) => m.purpose === 'relay')!;
      assert.deepEqual([...copy.to].sort(), [ALPHA.address, BETA.address].sort());
      assert.deepEqual(
        h.receipts(1).map((r) => r.member),
        [ALPHA.address, BETA.address],
      );
    });
  });

  describe('"Upstream: yes"', () => {
    it('adds "[upstream notice]" to the subject and says so in the footer and to the moderators', async () => {
      const { copy, opened } = await h.open({ extra: 'Upstream: yes' });
      assert.equal(copy.subject, `${PREFIX_3_DAYS} [upstream notice] ${OPENING_SUBJECT}`);
      assert.match(copy.text, /This is an upstream notice: it covers only the mechanics of a coming patch/);
      assert.match(opened.text, /Upstream notice: yes/);
      assert.equal(h.disclosure(1).upstream, 1);
    });
  });

  describe('a post the daemon cannot date', () => {
    for (const [name, body, code, problem] of [
      ['without an embargo line', `${OPENING_TEXT}\n`, 'EMBARGO_MISSING', /The message has no embargo line/],
      [
        'with an end in the past',
        `Embargo: 2026-03-09T09:30:00Z\n${OPENING_TEXT}\n`,
        'EMBARGO_PAST',
        /The embargo end "2026-03-09 09:30 UTC" is in the past/,
      ],
      [
        'with an end beyond maxEmbargoDays',
        `Embargo: 2026-04-10T09:30:00Z\n${OPENING_TEXT}\n`,
        'EMBARGO_TOO_FAR',
        /The embargo end "2026-04-10 09:30 UTC" is more than 14 days away/,
      ],
    ] as const) {
      it(`is not relayed ${name}: the moderator gets it back with the reason and a send token, audited disclosure.returned`, async () => {
        const { outcome, returned } = await moderatorPost(body);
        assert.equal(outcome, 'open-disclosure');
        assert.equal(h.disclosures().length, 0);
        assert.equal((await h.sent()).filter((m) => m.purpose === 'relay').length, 0, 'nothing relayed');
        assert.equal(
          (await h.sent()).filter((m) => MEMBERS.some((x) => m.to.includes(x.address))).length,
          0,
          'no member got anything',
        );
        assert.equal(returned.length, 1);
        const mail = returned[0]!;
        assert.deepEqual(mail.to, [MODERATOR]);
        assert.match(mail.subject, new RegExp(`Not sent: ${OPENING_SUBJECT}`));
        assert.match(mail.text, problem);
        assert.ok(mail.token);
        const token = h.token(mail.token!)!;
        assert.equal(token.purpose, 'send');
        assert.equal((JSON.parse(token.detail!) as { problem: string }).problem, code);
        const audit = h.audit().find((a) => a.action === 'disclosure.returned');
        assert.ok(audit);
        assert.deepEqual(JSON.parse(audit.detail!), { problem: code });
      });
    }

    it('offers SEND with no end for a post without an end, and no SEND for an end in the past', async () => {
      const missing = (await moderatorPost(`${OPENING_TEXT}\n`)).returned[0]!;
      assert.match(missing.text, /SEND {12}send it as it is, with no end/);
      const past = (await moderatorPost(`Embargo: 2026-03-09T09:30:00Z\n${OPENING_TEXT}\n`, 'Another')).returned[0]!;
      assert.doesNotMatch(past.text, /SEND {12}send it as it is/);
      assert.match(past.text, /EMBARGO <end>/);
    });
  });

  describe('SEND and EMBARGO in reply to the returned post', () => {
    it('SEND opens a post without an end as open-ended, with the post as it came', async () => {
      const { returned } = await moderatorPost(`${OPENING_TEXT}\n`);
      const before = h.mark();
      const result = await h.command(returned[0]!, 'SEND\n');
      assert.equal(result.outcome, 'moderator-command');
      const d = h.disclosure(1);
      assert.deepEqual([d.embargo_end, d.state, d.opened_by, d.inbound_id], [null, 'embargoed', MODERATOR, 1]);
      const copy = await h.find(ALPHA.address, /\[#1\]/, before);
      assert.equal(copy.subject, `[EMBARGOED] [#1] ${OPENING_SUBJECT}`);
      assert.ok(copy.text.includes(OPENING_TEXT));
      assert.match(copy.text, /EMBARGOED until the moderators lift it \(no end set yet\)/);
      assert.equal(h.token(returned[0]!.token!)!.used_by, MODERATOR);
      await h.find(MODERATOR, /Disclosure #1 opened/, before);
    });

    it('SEND opens a post whose end is too far with that far end', async () => {
      const { returned } = await moderatorPost(`Embargo: 2026-04-10T09:30:00Z\n${OPENING_TEXT}\n`);
      const before = h.mark();
      await h.command(returned[0]!, 'SEND\n');
      assert.equal(h.disclosure(1).embargo_end, '2026-04-10T09:30:00.000Z');
      const copy = await h.find(BETA.address, /\[#1\]/, before);
      assert.equal(copy.subject, `[EMBARGOED until 2026-04-10 09:30 UTC] [#1] ${OPENING_SUBJECT}`);
    });

    it('SEND is refused for a post whose end is in the past, and nothing opens', async () => {
      const { returned } = await moderatorPost(`Embargo: 2026-03-09T09:30:00Z\n${OPENING_TEXT}\n`);
      const before = h.mark();
      await h.command(returned[0]!, 'SEND\n');
      assert.equal(h.disclosures().length, 0);
      const notice = await h.find(MODERATOR, /Not done/, before);
      assert.match(notice.text, /the embargo end it gives is in the past; reply with EMBARGO <end> instead/);
      assert.equal((await h.sent(before)).filter((m) => m.purpose === 'relay').length, 0);
      assert.equal(h.token(returned[0]!.token!)!.used_at, null, 'the token still serves an EMBARGO <end>');
    });

    it('EMBARGO <date> opens a returned post with that end', async () => {
      const { returned } = await moderatorPost(`Embargo: 2026-03-09T09:30:00Z\n${OPENING_TEXT}\n`);
      const before = h.mark();
      await h.command(returned[0]!, `EMBARGO ${isoLine(h.at(5 * DAY))}\n`);
      assert.equal(h.disclosure(1).embargo_end, '2026-03-15T09:30:00.000Z');
      const copy = await h.find(GAMMA.address, /\[#1\]/, before);
      assert.equal(copy.subject, `[EMBARGOED until 2026-03-15 09:30 UTC] [#1] ${OPENING_SUBJECT}`);
    });

    it("EMBARGO with an end beyond maxEmbargoDays is refused with the parser's message", async () => {
      const { returned } = await moderatorPost(`${OPENING_TEXT}\n`);
      const before = h.mark();
      await h.command(returned[0]!, 'EMBARGO 2026-05-01T00:00:00Z\n');
      assert.equal(h.disclosures().length, 0);
      const notice = await h.find(MODERATOR, /Not done/, before);
      assert.match(notice.text, /is more than 14 days away/);
    });

    it('a second SEND finds the post already sent and opens nothing more', async () => {
      const { returned } = await moderatorPost(`${OPENING_TEXT}\n`);
      await h.command(returned[0]!, 'SEND\n');
      const before = h.mark();
      await h.command(returned[0]!, 'SEND\n');
      assert.equal(h.disclosures().length, 1);
      await h.find(MODERATOR, /Already decided: the returned post/, before);
      assert.equal((await h.sent(before)).filter((m) => m.purpose === 'relay').length, 0);
    });
  });

  describe('posts that do not open a disclosure', () => {
    it("relays a member's authenticated new post as a plain post, without prefix or footer", async () => {
      // Where members may open threads (not the shipped policy, which holds the post: held.test.ts).
      h = new Disclosures('membersMayOpenThreads: true');
      const before = h.mark();
      const result = await h.post({
        from: BETA.address,
        subject: 'Which versions are you shipping?',
        body: 'Embargo: 2026-03-13T09:30:00Z\nJust asking.\n',
      });
      assert.equal(result.outcome, 'relay');
      assert.equal(h.disclosures().length, 0);
      const copy = await h.find(ALPHA.address, /Which versions/, before);
      assert.equal(copy.subject, 'Which versions are you shipping?');
      assert.doesNotMatch(copy.text, /EMBARGOED|Disclosure #/);
      assert.equal((await h.sent(before)).filter((m) => m.to.includes(MODERATOR)).length, 0);
    });

    it('holds an unauthenticated moderator post (label unauthenticated) and tells the moderators', async () => {
      const before = h.mark();
      const result = await h.post({
        from: MODERATOR,
        subject: 'Forged disclosure',
        body: 'Embargo: 2026-03-13T09:30:00Z\nClick here.\n',
        auth: false,
      });
      assert.equal(result.outcome, 'hold');
      assert.equal(h.disclosures().length, 0);
      assert.deepEqual(h.auditActions(), ['post.hold.unauthenticated']);
      const sent = await h.sent(before);
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]!.to, MODERATORS);
      assert.match(sent[0]!.subject, /Held: Forged disclosure \(tk-[a-z2-7]{26}\)$/);
      assert.match(sent[0]!.text, /moderator@example\.org is not authenticated/);
      assert.match(sent[0]!.text, new RegExp(`sent to ${LIST_ADDRESS.replace(/\./g, '\\.')}`));
    });

    it('holds an unauthenticated member post too', async () => {
      const result = await h.post({ from: BETA.address, subject: 'Unsigned', body: 'Hello.\n', auth: false });
      assert.equal(result.outcome, 'hold');
      assert.deepEqual(h.auditActions(), ['post.hold.unauthenticated']);
    });
  });
});
