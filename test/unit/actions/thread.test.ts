import assert from 'node:assert/strict';
import { ALPHA, BETA, Disclosures, GAMMA, MEMBERS, OPENING_SUBJECT, type Opened } from '../../helpers/disclosures';
import { MODERATOR } from '../../helpers/membership';

const PREFIX = '[EMBARGOED until 2026-03-13 09:30 UTC] [#1]';

describe('actions/thread-post and actions/ack (through processRaw)', () => {
  let h: Disclosures;
  let thread: Opened;

  beforeEach(async () => {
    h = new Disclosures();
    thread = await h.open();
  });

  function outboxCount(): number {
    return h.ctx.db.prepare('SELECT count(*) FROM outbox').pluck().get() as number;
  }

  describe('a member reply', () => {
    it('found by In-Reply-To is relayed to every member with the thread prefix, keeping "Re:"', async () => {
      const before = h.mark();
      const result = await h.post({
        from: BETA.address,
        subject: `Re: ${thread.copy.subject}`,
        body: 'We reproduce it on 1.2.\n',
        inReplyTo: thread.messageId,
      });
      assert.equal(result.outcome, 'thread-post');
      const copy = await h.find(GAMMA.address, /^Re:/, before);
      assert.equal(copy.subject, `Re: ${PREFIX} ${OPENING_SUBJECT}`);
      assert.deepEqual([...copy.to].sort(), MEMBERS.map((m) => m.address).sort());
      assert.match(copy.text, /We reproduce it on 1\.2\./);
      assert.match(copy.text, /EMBARGOED until 2026-03-13 09:30 UTC\. Disclosure #1/);
      assert.ok(h.threadMessages(1).includes(copy.messageId), 'the reply belongs to the thread now');
    });

    it('found by References alone is relayed with the thread prefix', async () => {
      const before = h.mark();
      const result = await h.post({
        from: BETA.address,
        subject: `Re: ${OPENING_SUBJECT}`,
        body: 'Patched in our fork.\n',
        inReplyTo: '<somewhere-else@beta.example>',
        references: ['<unrelated@beta.example>', thread.messageId],
      });
      assert.equal(result.outcome, 'thread-post');
      const copy = await h.find(ALPHA.address, /Re:/, before);
      assert.equal(copy.subject, `${PREFIX} Re: ${OPENING_SUBJECT}`);
    });

    it('found by "[#1]" in the subject alone is relayed with the thread prefix, keeping "Re:"', async () => {
      const before = h.mark();
      const result = await h.post({
        from: GAMMA.address,
        subject: `Re: ${thread.copy.subject}`,
        body: 'Our advisory is drafted.\n',
      });
      assert.equal(result.outcome, 'thread-post');
      const copy = await h.find(ALPHA.address, /Re:/, before);
      assert.equal(copy.subject, `Re: ${PREFIX} ${OPENING_SUBJECT}`);
    });

    it('to a reply of the thread (not the opening) is in the thread too', async () => {
      const first = h.mark();
      await h.replyInThread(BETA.address, thread.copy, 'First reply.\n');
      const relayed = await h.find(ALPHA.address, /Re:/, first);
      const before = h.mark();
      const result = await h.post({
        from: GAMMA.address,
        subject: `Re: ${OPENING_SUBJECT}`,
        body: 'Second reply.\n',
        inReplyTo: relayed.messageId,
      });
      assert.equal(result.outcome, 'thread-post');
      assert.equal((await h.find(ALPHA.address, /Re:/, before)).subject, `${PREFIX} Re: ${OPENING_SUBJECT}`);
    });

    it('that is not authenticated is held, not relayed', async () => {
      const before = h.mark();
      const result = await h.post({
        from: BETA.address,
        subject: `Re: ${thread.copy.subject}`,
        body: 'Forged reply.\n',
        inReplyTo: thread.messageId,
        auth: false,
      });
      assert.equal(result.outcome, 'hold');
      const sent = await h.sent(before);
      assert.equal(sent.length, 1);
      assert.match(sent[0]!.subject, /Held: Re: /);
      assert.ok(!sent[0]!.to.includes(ALPHA.address));
    });

    it('from a stranger is held, not relayed', async () => {
      const before = h.mark();
      const result = await h.post({
        from: 'someone@outsider.example',
        subject: `Re: ${thread.copy.subject}`,
        body: 'Hi.\n',
        inReplyTo: thread.messageId,
      });
      assert.equal(result.outcome, 'hold');
      assert.equal((await h.sent(before)).filter((m) => m.purpose === 'relay').length, 0);
      assert.ok(h.auditActions().includes('post.hold.non-member'));
    });
  });

  describe('ACK', () => {
    it("on the first line records the member's receipt and relays nothing, sends nothing", async () => {
      const before = outboxCount();
      const result = await h.replyInThread(BETA.address, thread.copy, 'ACK\n\nThanks, we are on it.\n');
      assert.equal(result.outcome, 'ack');
      assert.equal(outboxCount(), before);
      const receipts = h.receipts(1);
      const beta = receipts.find((r) => r.member === BETA.address)!;
      assert.equal(beta.acked_by, BETA.address);
      assert.equal(beta.acked_at, '2026-03-10T09:30:00.000Z');
      assert.deepEqual(
        receipts.filter((r) => r.acked_at).map((r) => r.member),
        [BETA.address],
      );
      assert.ok(h.auditActions().includes('disclosure.ack'));
    });

    it('bottom-posted under a quote of the disclosure is recorded too', async () => {
      const before = outboxCount();
      const body = [
        `On Tue, 10 Mar 2026 at 09:31, Moderator <${MODERATOR}> wrote:`,
        ...thread.copy.text.split('\n').map((l) => `> ${l}`),
        '',
        'ACK',
        '',
      ].join('\n');
      const result = await h.replyInThread(GAMMA.address, thread.copy, body);
      assert.equal(result.outcome, 'ack');
      assert.equal(outboxCount(), before);
      assert.deepEqual(
        h
          .receipts(1)
          .filter((r) => r.acked_at)
          .map((r) => r.member),
        [GAMMA.address],
      );
    });

    it('sent twice is recorded once: the first time stays', async () => {
      await h.replyInThread(ALPHA.address, thread.copy, 'ACK\n');
      h.clock.advance(3_600_000);
      const result = await h.replyInThread(ALPHA.address, thread.copy, 'ACK\n');
      assert.equal(result.outcome, 'ack');
      const receipts = h.receipts(1).filter((r) => r.acked_at);
      assert.deepEqual(
        receipts.map((r) => [r.member, r.acked_at]),
        [[ALPHA.address, '2026-03-10T09:30:00.000Z']],
      );
      assert.deepEqual(
        h.auditActions().filter((a) => a.startsWith('disclosure.ack')),
        ['disclosure.ack', 'disclosure.ack.again'],
      );
      assert.equal(
        (await h.sent()).filter((m) => m.purpose === 'relay').length,
        1,
        'only the opening was ever relayed',
      );
    });

    it('in a plain (non-thread) post is relayed as a post, not taken as a receipt', async () => {
      // Where members may open threads; under the shipped policy the post is held, and still no receipt.
      h = new Disclosures('membersMayOpenThreads: true');
      thread = await h.open();
      const result = await h.post({ from: BETA.address, subject: 'Unrelated', body: 'ACK\n' });
      assert.equal(result.outcome, 'relay');
      assert.equal(h.receipts(1).filter((r) => r.acked_at).length, 0);
    });
  });

  describe('a reply in a lifted thread', () => {
    it('is relayed with the prefix "[#1]" only, and the footer says the thread is public', async () => {
      await h.command(thread.opened, 'LIFT\n');
      assert.equal(h.disclosure(1).state, 'public');
      const before = h.mark();
      const result = await h.post({
        from: BETA.address,
        subject: `Re: ${OPENING_SUBJECT}`,
        body: 'Our fix is out.\n',
        inReplyTo: thread.messageId,
      });
      assert.equal(result.outcome, 'thread-post');
      const copy = await h.find(ALPHA.address, /Re:/, before);
      assert.equal(copy.subject, `[#1] Re: ${OPENING_SUBJECT}`);
      assert.match(
        copy.text,
        /Disclosure #1 of Example Security: the embargo was lifted at 2026-03-10 09:30 UTC; it\s+is public now\./,
      );
      assert.doesNotMatch(copy.text, /EMBARGOED until/);
    });

    it('answering the embargoed copy, as members do, is relayed without the stale "[EMBARGOED until ...]" tag of its subject', async () => {
      await h.command(thread.opened, 'LIFT\n');
      const before = h.mark();
      await h.replyInThread(BETA.address, thread.copy, 'Our fix is out.\n');
      const copy = await h.find(ALPHA.address, /Re:/, before);
      // Today: "[#1] Re: [EMBARGOED until 2026-03-13 09:30 UTC] [#1] CVE-...": a public thread
      // whose subject still tells every member it is under embargo.
      assert.doesNotMatch(copy.subject, /EMBARGOED/, copy.subject);
      assert.match(copy.subject, /^(?:Re: )?\[#1\] (?:Re: )?CVE-2026-0001/);
    });

    it('answering the lift notice is in the thread too', async () => {
      const before = h.mark();
      await h.command(thread.opened, 'LIFT\n');
      const notice = await h.find(ALPHA.address, /Embargo lifted/, before);
      const after = h.mark();
      const result = await h.post({
        from: GAMMA.address,
        subject: `Re: ${notice.subject}`,
        body: 'Thanks.\n',
        inReplyTo: notice.messageId,
      });
      assert.equal(result.outcome, 'thread-post');
      assert.equal(
        (await h.find(ALPHA.address, /Re:/, after)).subject,
        'Re: [#1] Embargo lifted: CVE-2026-0001: header smuggling in the proxy',
      );
    });
  });
});
