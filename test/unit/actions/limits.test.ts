/**
 * Limits that keep one sender from costing the list too much: a message over policy.maxMessageBytes
 * is held without being parsed, and no address gets more than policy.autoRepliesPerDay automatic
 * answers in 24 hours.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import type { HeldRow } from '../../../src/store/held';
import { LIST_ADDRESS, MODERATORS, REQUESTS_ADDRESS, trustedAuthConfig } from '../../helpers/context';
import { ALPHA, Disclosures, listMail, MEMBERS } from '../../helpers/disclosures';
import { APPLICANT, DAY, joinRequest, Membership, type Sent } from '../../helpers/membership';
import { crlf, encodedWord } from '../../helpers/raw-mail';

const LIMIT = 4000;
const EVERY_MEMBER = MEMBERS.map((m) => m.address).sort();

/**
 * A message over the limit whose body no MIME reader can make sense of: a multipart without its
 * boundary, base64 that is not base64, a NUL byte. Only its header is readable.
 */
function oversized(opts: { to?: string; size?: number } = {}): Buffer {
  const head = crlf(
    'From: Alpha PSIRT <psirt@alpha.example>',
    `To: ${opts.to ?? LIST_ADDRESS}`,
    `Subject: ${encodedWord('Größer als erlaubt')}`,
    'Message-ID: <big-1@alpha.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="never-used"',
    '',
    '--another-boundary',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    '!!! this is not base64 \u0000 !!!',
  );
  return Buffer.concat([head, Buffer.alloc((opts.size ?? LIMIT + 1000) - head.length, '=?*')]);
}

describe('limits', () => {
  describe('policy.maxMessageBytes', () => {
    let h: Disclosures;

    beforeEach(() => {
      h = new Disclosures(`maxMessageBytes: ${LIMIT}`);
    });

    function held(id: number): HeldRow {
      const row = h.ctx.db.prepare('SELECT * FROM held WHERE inbound_id = ?').get(id) as HeldRow | undefined;
      assert.ok(row, `held message ${id} is in the queue`);
      return row;
    }

    it('holds a larger message without parsing it, named by the From and Subject of its header, even from a member', async () => {
      const raw = oversized();
      const reason = `it is ${raw.length} bytes, over the limit of ${LIMIT} (policy.maxMessageBytes)`;
      const result = await h.receive(raw);
      assert.deepEqual([result.status, result.outcome], ['processed', 'hold']);

      const row = h.ctx.db
        .prepare('SELECT status, outcome, hits, sender, subject, message_id FROM inbound WHERE id = ?')
        .get(result.inboundId);
      assert.deepEqual(row, {
        status: 'processed',
        outcome: 'hold',
        hits: JSON.stringify([{ rule: 'too-large', reason }]),
        sender: ALPHA.address,
        subject: 'Größer als erlaubt',
        message_id: '<big-1@alpha.example>',
      });
      const queued = held(result.inboundId);
      assert.deepEqual(
        [queued.sender, queued.subject, queued.message_id, JSON.parse(queued.reasons), queued.relayable, queued.state],
        [ALPHA.address, 'Größer als erlaubt', '<big-1@alpha.example>', [reason], 1, 'held'],
      );

      const sent = await h.sent();
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.action.held-post', MODERATORS]],
      );
      assert.match(sent[0]!.subject, /^\[Example Security\] Held: Größer als erlaubt \(tk-[a-z2-7]{26}\)$/);
      assert.ok(sent[0]!.text.includes(`  - ${reason}\n`));
      assert.match(sent[0]!.text, /^ {2}APPROVE /m);
      assert.deepEqual(h.auditActions(), ['post.hold.too-large']);
    });

    it('handles a message of exactly the limit as usual', async () => {
      // "As usual" is a relay where members may open threads (the shipped policy would hold it for that reason).
      h = new Disclosures(`maxMessageBytes: ${LIMIT}, membersMayOpenThreads: true`);
      const base = listMail({ from: ALPHA.address, subject: 'Just fits', body: '', messageId: '<fits@alpha.example>' });
      const raw = listMail({
        from: ALPHA.address,
        subject: 'Just fits',
        body: 'x'.repeat(LIMIT - base.length),
        messageId: '<fits@alpha.example>',
      });
      assert.equal(raw.length, LIMIT);
      assert.equal((await h.receive(raw)).outcome, 'relay');
      assert.equal(h.ctx.db.prepare('SELECT count(*) FROM held').pluck().get(), 0);
    });

    it('holds a message one byte over the limit', async () => {
      const result = await h.receive(oversized({ size: LIMIT + 1 }));
      assert.equal(result.outcome, 'hold');
      assert.match(held(result.inboundId).reasons, new RegExp(`it is ${LIMIT + 1} bytes, over the limit of ${LIMIT}`));
    });

    it('does not offer APPROVE for a large message sent to the requests address', async () => {
      const result = await h.receive(oversized({ to: REQUESTS_ADDRESS }));
      assert.equal(held(result.inboundId).relayable, 0);
      const [mail] = await h.sent();
      assert.match(mail!.text, new RegExp(`^A message sent to ${REQUESTS_ADDRESS.replace(/\./g, '\\.')} was held`));
      assert.doesNotMatch(mail!.text, /APPROVE/);
    });

    it('relays a large message a moderator approves to every member, whole', async () => {
      const raw = oversized();
      await h.receive(raw);
      const [mail] = await h.sent();
      const before = h.mark();
      await h.command(mail!, 'APPROVE\n');
      const relayed = h.ctx.db
        .prepare("SELECT raw FROM outbox_message WHERE purpose = 'relay' AND id > ?")
        .pluck()
        .all(before) as Buffer[];
      assert.equal(relayed.length, 1);
      assert.ok(
        relayed[0]!.subarray(relayed[0]!.length - 1000).equals(raw.subarray(raw.length - 1000)),
        'the body is passed on untouched',
      );
      assert.deepEqual([...(await h.sent(before))[0]!.to].sort(), EVERY_MEMBER);
    });
  });

  describe('policy.autoRepliesPerDay', () => {
    let h: Membership;
    let logged: string[];

    beforeEach(() => {
      logged = [];
      const log = pino(
        { level: 'warn' },
        {
          write: (line: string) => {
            logged.push(line);
          },
        },
      );
      h = new Membership(trustedAuthConfig(), { log });
    });

    const acknowledgements = (sent: Sent[], to = APPLICANT): Sent[] =>
      sent.filter((m) => m.purpose === 'applicant.notice.request-received' && m.to.includes(to));

    /** `n` join requests from one applicant; returns what was sent meanwhile. */
    async function requests(n: number, from = APPLICANT): Promise<Sent[]> {
      const before = h.mark();
      for (let i = 0; i < n; i += 1) assert.equal((await h.receive(joinRequest({ from }))).outcome, 'join-request');
      return h.sent(before);
    }

    it('does not queue the 11th acknowledgement to one applicant within 24 hours, and logs AUTOREPLY_CAPPED', async () => {
      const sent = await requests(11);
      assert.equal(acknowledgements(sent).length, 10);
      assert.ok(acknowledgements(sent).every((m) => m.autoSubmitted === 'auto-replied'));
      // The request itself is not lost: the moderators, who get no automatic answer, see every one.
      assert.equal(sent.filter((m) => m.purpose === 'moderator.action.join-request').length, 11);
      assert.equal(h.ctx.db.prepare('SELECT count(*) FROM requests').pluck().get(), 11);
      const capped = logged
        .map((l) => JSON.parse(l) as { msg: string; skipped?: string[] })
        .filter((l) => l.msg.startsWith('AUTOREPLY_CAPPED'));
      assert.deepEqual(
        capped.map((l) => [l.msg, l.skipped]),
        [['AUTOREPLY_CAPPED applicant.notice.request-received', [APPLICANT]]],
      );
    });

    it('acknowledges again once the oldest answers are 24 hours old, not before', async () => {
      await requests(10);
      h.clock.advance(DAY - 60_000);
      assert.equal(acknowledgements(await requests(1)).length, 0);
      h.clock.advance(60_000);
      assert.equal(acknowledgements(await requests(1)).length, 1);
    });

    it('counts each address on its own', async () => {
      await requests(10);
      const other = 'john.roe@eight-corp.example';
      assert.equal(acknowledgements(await requests(1, other), other).length, 1);
      assert.equal(acknowledgements(await requests(1)).length, 0);
    });

    it('sends no automatic answer at all with autoRepliesPerDay: 0', async () => {
      h = new Membership(`${trustedAuthConfig()}\npolicy: { autoRepliesPerDay: 0 }\n`);
      const sent = await requests(1);
      assert.deepEqual(
        sent.map((m) => m.purpose),
        ['moderator.action.join-request'],
      );
    });
  });
});
