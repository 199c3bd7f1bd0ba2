import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import {
  replyToConfirmation,
  replyToModeration,
  replyToOurMail,
  replyToQuestion,
  unknownToken,
} from '../../../src/rules/replies';
import { LIST_ADDRESS, REQUESTS_ADDRESS, snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { issuedToken, unknownToken as forgedToken } from '../../helpers/snapshot-parts';

function reply(opts: { inReplyTo?: string; references?: string[] } = {}) {
  return parseMessage(
    makeMessage({ from: 'alice@member.example', to: REQUESTS_ADDRESS, subject: 'Re: your request', ...opts }),
  );
}
const carrying = (...tokens: ReturnType<typeof issuedToken>[]) => snapshotWith({ tokens });

describe('rules/replies', () => {
  describe('reply-to-moderation, reply-to-question, reply-to-confirmation', () => {
    it('each hits a token we issued for its own purposes, naming only the first six characters', async () => {
      const msg = await reply();
      const cases = [
        [replyToModeration, ['moderate', 'remove', 'thread', 'send', 'leak', 'held']],
        [replyToQuestion, ['applicant']],
        [replyToConfirmation, ['confirm', 'unsubscribe', 'probe']],
      ] as const;
      for (const [rule, purposes] of cases) {
        for (const purpose of purposes) {
          const seen = issuedToken(purpose);
          const reason = rule.check(msg, carrying(seen));
          assert.ok(reason?.includes(`tk-${seen.token.slice(0, 6)}…`), `${rule.name} / ${purpose}: ${reason}`);
          assert.ok(!reason?.includes(seen.token), 'the whole token is never written into a reason');
        }
      }
    });

    it('miss a message that carries no token', async () => {
      const msg = await reply();
      for (const rule of [replyToModeration, replyToQuestion, replyToConfirmation])
        assert.equal(rule.check(msg, snapshotWith()), null, rule.name);
    });

    it("miss a token issued for another purpose: an applicant's token never reaches the moderators' rule", async () => {
      const msg = await reply();
      assert.equal(
        replyToModeration.check(msg, carrying(issuedToken('applicant'), issuedToken('confirm'), issuedToken('probe'))),
        null,
      );
      assert.equal(replyToQuestion.check(msg, carrying(issuedToken('moderate'), issuedToken('confirm'))), null);
      assert.equal(replyToConfirmation.check(msg, carrying(issuedToken('moderate'), issuedToken('applicant'))), null);
    });

    it('miss a forged token in our format that we never issued', async () => {
      const msg = await reply();
      const snap = snapshotWith({ tokens: [forgedToken('forgedmoderate')] });
      for (const rule of [replyToModeration, replyToQuestion, replyToConfirmation])
        assert.equal(rule.check(msg, snap), null, rule.name);
    });

    it('hit on the issued token when a forged one rides along, and name only the issued one', async () => {
      const issued = issuedToken('moderate', 'realone');
      const forged = forgedToken('forgedone');
      const reason = replyToModeration.check(await reply(), snapshotWith({ tokens: [forged, issued] }));
      assert.ok(reason?.includes(`tk-${issued.token.slice(0, 6)}`));
      assert.ok(!reason?.includes(forged.token.slice(0, 6)));
    });
  });

  describe('unknown-token', () => {
    it('hits a token in our format that we never issued, counting them', async () => {
      const snap = snapshotWith({
        tokens: [forgedToken('forgedone'), forgedToken('forgedtwo'), issuedToken('moderate')],
      });
      assert.equal(unknownToken.check(await reply(), snap), 'carries 2 token(s) we never issued');
    });

    it('misses issued tokens and no token at all', async () => {
      const msg = await reply();
      assert.equal(unknownToken.check(msg, snapshotWith()), null);
      assert.equal(unknownToken.check(msg, carrying(issuedToken('moderate'), issuedToken('confirm'))), null);
    });

    it('hits a forged token next to a real one, so the real one cannot launder it', async () => {
      assert.notEqual(
        unknownToken.check(await reply(), snapshotWith({ tokens: [issuedToken('moderate'), forgedToken('planted')] })),
        null,
      );
    });
  });

  describe('reply-to-our-mail', () => {
    const domain = LIST_ADDRESS.split('@')[1]!;

    it("hits In-Reply-To naming a Message-ID at the list's domain, and names it", async () => {
      const id = `<ack.42@${domain}>`;
      assert.equal(replyToOurMail.check(await reply({ inReplyTo: id }), snapshotWith()), `answers our message ${id}`);
    });

    it("hits a References entry at the list's domain, in any case", async () => {
      const msg = await reply({ references: ['<first@member.example>', `<notice.7@${domain.toUpperCase()}>`] });
      assert.notEqual(replyToOurMail.check(msg, snapshotWith()), null);
    });

    it('misses a message that answers nobody, or answers someone else', async () => {
      assert.equal(replyToOurMail.check(await reply(), snapshotWith()), null);
      assert.equal(
        replyToOurMail.check(
          await reply({ inReplyTo: '<x@member.example>', references: ['<y@member.example>'] }),
          snapshotWith(),
        ),
        null,
      );
    });

    it('misses Message-IDs at look-alike domains that contain or extend ours', async () => {
      for (const id of [`<x@${domain}.evil.example>`, `<x@evil${domain}>`, `<x@${domain}@evil.example>`]) {
        assert.equal(replyToOurMail.check(await reply({ inReplyTo: id, references: [id] }), snapshotWith()), null, id);
      }
    });
  });
});
