/**
 * Issue 8 item 4: a pending request stays its applicant's. A newer request with the same From
 * replaces it only when the newer one is authenticated, or when the applicant answers CONFIRM to
 * the acknowledgement mailed to that address; until then the moderators see both, each naming
 * the other and saying whether it was authenticated.
 */
import assert from 'node:assert/strict';
import { runExpiry } from '../../../src/jobs/expiry';
import { REQUESTS_ADDRESS } from '../../helpers/context';
import {
  APPLICANT,
  authenticated,
  DAY,
  joinRequest,
  Membership,
  MODERATOR,
  reply,
  type Sent,
} from '../../helpers/membership';

const DOMAIN = 'seven-corp.example';
const ATTACKER_ALIAS = 'security@evil.example';

/** As the trusted receiving host passes it on after an aligned DKIM and DMARC pass. */
function signed(raw: Buffer, auth = authenticated(DOMAIN)): Buffer {
  return Buffer.concat([Buffer.from(`${auth}\r\n`), raw]);
}

/** A request with the applicant's From (as the attacker writes it) naming the attacker's alias. */
function hijack(from = `Jane Doe <${APPLICANT}>`): Buffer {
  const [name, address] = /^(.*) <(.*)>$/.exec(from)!.slice(1) as [string, string];
  return joinRequest({ from: address, fromName: name, alias: ATTACKER_ALIAS, organization: 'Seven-Corp' });
}

describe('a new request with the From of a pending one (through processRaw)', () => {
  let h: Membership;
  let first: Sent;

  beforeEach(async () => {
    h = new Membership();
    first = await h.submit(joinRequest());
  });

  /** The first request untouched: still before the moderators, and its token still decides it. */
  async function assertFirstStands(): Promise<void> {
    assert.equal(h.request(1).state, 'moderation');
    assert.equal(h.token(first.token!)!.used_at, null, "the moderators' token for #1 is not retired");
    assert.ok(!h.events(1).some((e) => e.kind === 'superseded'));
  }

  const forgedFroms: [string, string][] = [
    ['the same From, unauthenticated (the attack)', `Jane Doe <${APPLICANT}>`],
    ['the From in another case', `Jane Doe <${APPLICANT.toUpperCase()}>`],
    ['the From with another display name', `Mallory <${APPLICANT}>`],
  ];
  for (const [what, from] of forgedFroms) {
    describe(what, () => {
      let second: Sent;
      let before: number;
      beforeEach(async () => {
        before = h.mark();
        second = await h.submit(hijack(from));
      });

      it("neither supersedes the pending request nor retires its token; a moderator's APPROVE on it still works", async () => {
        await assertFirstStands();
        assert.equal(h.request(2).state, 'moderation');
        assert.equal(h.request(2).authenticated, 0);
        await h.command(first, 'APPROVE\n');
        assert.equal(h.request(1).state, 'confirming');
        assert.equal(h.request(1).alias, 'security@seven-corp.example', "the genuine alias, not the attacker's");
      });

      it('shows the moderators the new one as not authenticated, naming the pending one, and not as a replacement', () => {
        assert.match(second.text, /Sender: +NOT authenticated: anyone can write this From address/);
        assert.match(
          second.text,
          /Another request from the same address is pending: #1, not authenticated,\s+older than this one/,
        );
        assert.match(second.text, /Neither request replaces the other/);
        assert.doesNotMatch(second.text, /This request replaces/);
        assert.match(second.text, new RegExp(`Alias: +${ATTACKER_ALIAS}`));
      });

      it("acknowledges to the applicant's own address only, asking for CONFIRM with a token of its own", async () => {
        const acks = (await h.sent(before)).filter((m) => m.purpose === 'applicant.notice.request-received');
        assert.equal(acks.length, 1);
        assert.deepEqual(acks[0]!.to, [APPLICANT]);
        assert.ok(acks[0]!.token, 'the acknowledgement carries a token');
        assert.equal(h.token(acks[0]!.token!)!.purpose, 'applicant');
        assert.match(acks[0]!.text, /You already have request #1 before the moderators/);
        assert.match(acks[0]!.text, /If you did not send it \(check the alias above\), do not reply: someone/);
        assert.match(acks[0]!.text, new RegExp(`Alias to subscribe: ${ATTACKER_ALIAS}`));
      });

      it("records on the pending request that another arrived, and names it in the pending one's next mail (the reminder)", async () => {
        assert.deepEqual(
          h.events(1).map((e) => [e.kind, e.text]),
          [
            ['received', null],
            ['another-request', `request #2 from ${APPLICANT}, not authenticated`],
          ],
        );
        h.clock.advance(3 * DAY + 60_000);
        const mark = h.mark();
        runExpiry(h.ctx);
        const reminder = await h.find(MODERATOR, /Join request #1:/, mark);
        assert.match(
          reminder.text,
          /Another request from the same address is pending: #2, not authenticated,\s+newer than this one/,
        );
      });
    });
  }

  describe('the same From, authenticated by a trusted host (an aligned DKIM and DMARC pass)', () => {
    it('supersedes the pending request at once, as before, and says so to the moderators and the applicant', async () => {
      const before = h.mark();
      const second = await h.submit(signed(joinRequest({ alias: 'psirt@seven-corp.example' })));
      assert.equal(h.request(1).state, 'superseded');
      assert.equal(h.token(first.token!)!.used_by, 'superseded:#2');
      assert.equal(h.request(2).authenticated, 1);
      assert.match(second.text, /Sender: +authenticated/);
      assert.match(second.text, /This request replaces the applicant's earlier request #1\./);
      const ack = await h.find(APPLICANT, /Your request to join \(#2\)/, before);
      assert.match(ack.text, /It replaces your earlier request #1, which is closed\./);
      assert.equal(ack.token, null, 'nothing to confirm');
    });
  });

  const unauthenticatedVariants: [string, () => Buffer][] = [
    [
      'a pass from a host the list does not trust',
      () => signed(hijack(), authenticated(DOMAIN, { authservId: 'mx.evil.example' })),
    ],
    [
      'a DMARC pass whose DKIM pass is for another domain',
      () => signed(hijack(), authenticated(DOMAIN, { dkimDomain: 'evil.example' })),
    ],
    [
      "a trusted pass for the attacker's own domain under the applicant's From",
      () => signed(hijack(), authenticated('evil.example')),
    ],
  ];
  for (const [what, build] of unauthenticatedVariants) {
    it(`does not supersede with ${what}`, async () => {
      await h.submit(build());
      await assertFirstStands();
      assert.equal(h.request(2).authenticated, 0);
    });
  }

  describe('a sub-address of the same mailbox (jane.doe+x@)', () => {
    const plus = APPLICANT.replace('@', '+x@');
    for (const auth of [false, true]) {
      it(`${auth ? 'authenticated' : 'unauthenticated'}: supersedes nothing, offers no CONFIRM, and names the pending one as the same mailbox's`, async () => {
        const before = h.mark();
        const second = await h.submit(auth ? signed(hijack(`Jane Doe <${plus}>`)) : hijack(`Jane Doe <${plus}>`));
        await assertFirstStands();
        assert.match(
          second.text,
          new RegExp(
            `Another request from the same mailbox \\(${APPLICANT.replace(/[.+]/g, '\\$&')}\\) is pending: #1`,
          ),
        );
        const ack = await h.find(plus, /Your request to join \(#2\)/, before);
        assert.equal(ack.token, null);
        assert.doesNotMatch(ack.text, /You already have request/);
        assert.doesNotMatch(ack.text, /^ {2}CONFIRM$/m);
      });
    }
  });

  describe('the genuine applicant re-sending without authentication', () => {
    let ack: Sent;
    let second: Sent;
    beforeEach(async () => {
      const before = h.mark();
      second = await h.submit(joinRequest({ alias: 'psirt@seven-corp.example' }));
      ack = await h.find(APPLICANT, /Your request to join \(#2\)/, before);
    });

    it('waits beside the first until the applicant answers CONFIRM; then #2 replaces #1 and the moderators are told', async () => {
      await assertFirstStands();
      const before = h.mark();
      const result = await h.receive(reply({ from: `Jane Doe <${APPLICANT}>`, to: ack, body: 'CONFIRM\n' }));
      assert.equal(result.outcome, 'applicant-reply');
      assert.equal(h.request(1).state, 'superseded');
      assert.equal(h.request(1).reason, 'superseded by request #2');
      assert.equal(h.token(first.token!)!.used_by, 'superseded:#2');
      assert.equal(h.request(2).state, 'moderation');
      assert.notEqual(h.token(ack.token!)!.used_at, null, 'the confirmation token is spent');
      const notice = await h.find(MODERATOR, /Join request #2 replaces #1: confirmed by the applicant/, before);
      assert.match(notice.text, /answered CONFIRM/);
      assert.ok(h.auditActions().includes('request.replace-confirmed'));
      await h.command(second, 'APPROVE\n');
      assert.equal(h.request(2).state, 'confirming');
      const late = h.mark();
      await h.command(first, 'APPROVE\n');
      await h.find(MODERATOR, /Already decided: request #1/, late);
    });

    it('replaces nothing when the reply to the acknowledgement does not say CONFIRM, and says how', async () => {
      const before = h.mark();
      await h.receive(reply({ from: `Jane Doe <${APPLICANT}>`, to: ack, body: 'Thanks!\n' }));
      await assertFirstStands();
      const notice = await h.find(APPLICANT, /Your confirmation was not accepted/, before);
      assert.match(notice.text, /the first line of your reply is not CONFIRM/);
      assert.equal(h.token(ack.token!)!.used_at, null);
    });

    it('refuses a CONFIRM carrying the token from another address (a leaked or forwarded acknowledgement)', async () => {
      const result = await h.receive(reply({ from: 'mallory@evil.example', to: ack, body: 'CONFIRM\n' }));
      assert.equal(result.outcome, 'applicant-reply');
      await assertFirstStands();
      assert.equal(h.token(ack.token!)!.used_at, null);
    });

    it('refuses a CONFIRM with a guessed token as unknown', async () => {
      const forged = {
        ...ack,
        messageId: `<a2.00000000.tk-${'a'.repeat(26)}@lists.example.org>`,
        subject: `Your request to join (#2) (tk-${'a'.repeat(26)})`,
      };
      const result = await h.receive(reply({ from: `Jane Doe <${APPLICANT}>`, to: forged, body: 'CONFIRM\n' }));
      assert.equal(result.outcome, 'refuse');
      await assertFirstStands();
    });

    it('replaces nothing once the moderators have rejected the first meanwhile, and the first stays rejected', async () => {
      await h.command(first, 'REJECT Not a vendor\n');
      assert.equal(h.request(1).state, 'rejected');
      await h.receive(reply({ from: `Jane Doe <${APPLICANT}>`, to: ack, body: 'CONFIRM\n' }));
      assert.equal(h.request(1).state, 'rejected');
      assert.equal(h.request(2).state, 'moderation');
    });

    it("sends the confirmation to the applicant's address, never to the alias the new request names", () => {
      assert.deepEqual(ack.to, [APPLICANT]);
      assert.equal(REQUESTS_ADDRESS, 'security-requests@lists.example.org');
    });
  });
});
