/**
 * Smuggled header lines through the whole pipeline (issue 8, item 4): a post or a moderator's
 * reply whose header readers split differently is held as malformed-header before anything is
 * acted on or relayed; the same mail without the smuggled line is the control.
 */
import assert from 'node:assert/strict';
import { ALPHA, BETA, Disclosures, listMail } from '../../helpers/disclosures';
import { ALIAS, authenticated, Membership, MODERATOR, MODERATOR_DOMAIN, reply } from '../../helpers/membership';

const OUTSIDER = 'outsider@evil.example';

/** The ways a sender can make readers split a header differently, each put into the Subject line. */
const SMUGGLED: [string, (subject: string) => string][] = [
  ['a bare CR', (s) => `Subject: ${s}\rCc: ${OUTSIDER}`],
  ['a bare CR before a Reply-To', (s) => `Subject: ${s}\rReply-To: ${OUTSIDER}`],
  ['a bare LF in a CRLF message', (s) => `Subject: ${s}\nCc: ${OUTSIDER}`],
  ['a NUL', (s) => `Subject: ${s}\0Cc: ${OUTSIDER}`],
  ['a vertical tab', (s) => `Subject: ${s}\x0bCc: ${OUTSIDER}`],
  ['"Cc :" with a space before the colon', (s) => `Subject: ${s}\r\nCc : ${OUTSIDER}`],
  ['a line that is no field', (s) => `Subject: ${s}\r\nthis is no header\r\nCc: ${OUTSIDER}`],
];

/** `raw` with its Subject line rewritten by `smuggle` (bytes kept as written). */
function withSmuggled(raw: Buffer, smuggle: (subject: string) => string): Buffer {
  const text = raw.toString('latin1');
  const m = /^Subject: ([^\r\n]*)\r\n/m.exec(text);
  assert.ok(m, 'the mail has a Subject line');
  return Buffer.from(text.replace(m[0], `${smuggle(m[1]!)}\r\n`), 'latin1');
}

function relayedSince(h: Membership, mark: number): number {
  return h.ctx.db
    .prepare(
      "SELECT count(*) FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE m.id > ? AND m.purpose = 'relay'",
    )
    .pluck()
    .get(mark) as number;
}

function holdLabels(h: Membership): string[] {
  return h.auditActions().filter((a) => a.startsWith('post.hold.'));
}

describe('malformed headers through the pipeline', () => {
  describe("a member's post to the list", () => {
    it('is relayed to every member when its header is clean (the control)', async () => {
      const h = new Disclosures();
      const { copy } = await h.open();
      const mark = h.mark();
      const result = await h.receive(
        listMail({
          from: BETA.address,
          subject: `Re: ${copy.subject}`,
          body: 'confirmed\n',
          inReplyTo: copy.messageId,
          references: [copy.messageId],
        }),
      );
      assert.equal(result.outcome, 'thread-post');
      assert.equal(relayedSince(h, mark), 3);
    });

    for (const [what, smuggle] of SMUGGLED) {
      it(`is held as malformed-header, with nothing queued to the members, for ${what} in a thread reply`, async () => {
        const h = new Disclosures();
        const { copy } = await h.open();
        const mark = h.mark();
        const raw = withSmuggled(
          listMail({
            from: BETA.address,
            subject: `Re: ${copy.subject}`,
            body: 'confirmed\n',
            inReplyTo: copy.messageId,
            references: [copy.messageId],
          }),
          smuggle,
        );
        const result = await h.receive(raw);
        assert.equal(result.outcome, 'hold');
        assert.deepEqual(holdLabels(h), ['post.hold.malformed-header']);
        assert.equal(relayedSince(h, mark), 0);
        assert.ok(
          (await h.sent(mark)).every((m) => !m.to.includes(ALPHA.address) && !m.to.includes(OUTSIDER)),
          'nothing to members or the outsider',
        );
        assert.deepEqual(h.threadMessages(1).length, 1, 'the reply did not join the thread');
      });
    }

    it('is held as malformed-header for a bare CR in a new post, and in a LEAK report', async () => {
      const h = new Disclosures();
      const { copy } = await h.open();
      const mark = h.mark();
      const post = withSmuggled(
        listMail({ from: ALPHA.address, subject: 'A new topic', body: 'hello\n' }),
        SMUGGLED[0]![1],
      );
      assert.equal((await h.receive(post)).outcome, 'hold');
      const leak = withSmuggled(
        listMail({
          from: BETA.address,
          subject: `LEAK: ${copy.subject}`,
          body: 'What: the diff\nTo whom: a vendor\n',
          inReplyTo: copy.messageId,
          references: [copy.messageId],
        }),
        SMUGGLED[0]![1],
      );
      assert.equal((await h.receive(leak)).outcome, 'hold');
      assert.deepEqual(holdLabels(h), ['post.hold.malformed-header', 'post.hold.malformed-header']);
      assert.equal(relayedSince(h, mark), 0);
      assert.equal(h.leaks().length, 0, 'no leak was recorded');
    });
  });

  describe("a moderator's APPROVE reply", () => {
    it('approves the request when its header is clean (the control)', async () => {
      const h = new Membership();
      const moderation = await h.submit();
      const mark = h.mark();
      await h.receive(
        reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n', auth: authenticated(MODERATOR_DOMAIN) }),
      );
      assert.notEqual(h.request(1).state, 'moderation');
      assert.ok((await h.sent(mark)).some((m) => m.to.includes(ALIAS)));
    });

    for (const [what, smuggle] of SMUGGLED) {
      it(`is held as malformed-header and changes nothing, for ${what}`, async () => {
        const h = new Membership();
        const moderation = await h.submit();
        const before = h.state();
        const mark = h.mark();
        const raw = withSmuggled(
          reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n', auth: authenticated(MODERATOR_DOMAIN) }),
          smuggle,
        );
        const result = await h.receive(raw);
        assert.equal(result.outcome, 'hold');
        assert.deepEqual(holdLabels(h), ['post.hold.malformed-header']);
        // The hold itself adds one token, for the moderators' decision on the held mail; nothing else changed.
        const after = h.state() as { tokens: { purpose: string }[] };
        assert.deepEqual(after.tokens.filter((t) => t.purpose === 'held').length, 1);
        assert.deepEqual(
          { ...after, tokens: after.tokens.filter((t) => t.purpose !== 'held') },
          before,
          'the request, its tokens and the members are as they were',
        );
        assert.equal(h.request(1).state, 'moderation', 'still waiting for the moderators');
        assert.ok(
          (await h.sent(mark)).every((m) => !m.to.includes(ALIAS)),
          'no confirmation went to the alias',
        );
      });
    }
  });
});
