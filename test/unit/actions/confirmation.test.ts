import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { addMembers, MODERATORS, REPO_ROOT } from '../../helpers/context';
import {
  ALIAS,
  APPLICANT,
  authenticated,
  DAY,
  Membership,
  MODERATOR,
  MODERATOR_2,
  MODERATOR_DOMAIN,
  reply,
  type Sent,
} from '../../helpers/membership';

const POLICY_TEXT = fs.readFileSync(path.join(REPO_ROOT, 'config', 'embargo-policy.txt'), 'utf8').trim();
/** Someone on the alias, answering from their own mailbox. */
const ON_THE_ALIAS = 'zerocool@seven-corp.example';
const MEMBER = 'psirt@alpha.example';

describe('actions/confirmation, unsubscribe and remove (through processRaw)', () => {
  let h: Membership;

  beforeEach(() => {
    h = new Membership();
  });

  describe('the alias confirming its subscription', () => {
    let confirm: Sent;

    beforeEach(async () => {
      ({ confirm } = await h.approved());
    });

    it('CONFIRM from any address subscribes the alias with its organization: the token, not the From, ties it', async () => {
      const before = h.mark();
      const result = await h.receive(reply({ from: ON_THE_ALIAS, to: confirm, body: 'CONFIRM\n' }));
      assert.equal(result.outcome, 'confirmation');
      assert.deepEqual(h.member(ALIAS), { address: ALIAS, organization: 'Seven-Corp', status: 'active' });
      assert.equal(h.member(ON_THE_ALIAS), undefined, 'the replier is not the member');
      assert.equal(h.request(1).state, 'subscribed');
      assert.equal(h.token(confirm.token!)!.used_by, ON_THE_ALIAS);
      assert.ok(h.auditActions().includes('member.subscribe'));

      const welcome = await h.find(ALIAS, /Welcome: security@seven-corp\.example is subscribed/, before);
      assert.deepEqual(welcome.to, [ALIAS]);
      assert.ok(welcome.text.includes(POLICY_TEXT), 'the welcome carries the embargo policy text');
      const told = await h.find(MODERATOR, /security@seven-corp\.example \(Seven-Corp\) subscribed/, before);
      assert.deepEqual(told.to, MODERATORS);
      assert.match(told.text, new RegExp(`answered by ${ON_THE_ALIAS}`));
      await h.find(APPLICANT, /is subscribed \(request #1\)/, before);
    });

    it('a reply without CONFIRM gets a notice that explains, and the request stays confirming', async () => {
      const before = h.mark();
      await h.receive(reply({ from: ON_THE_ALIAS, to: confirm, body: 'Yes, please go ahead.\n' }));
      assert.equal(h.request(1).state, 'confirming');
      assert.equal(h.member(ALIAS), undefined);
      assert.equal(h.token(confirm.token!)!.used_at, null, 'the token can still be used');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['requester.notice.confirmation-problem', [ON_THE_ALIAS]]],
      );
      assert.match(sent[0]!.text, /the first line of your reply is not CONFIRM/);
      assert.match(sent[0]!.text, /^ {2}CONFIRM$/m);
      assert.equal(sent[0]!.autoSubmitted, 'auto-replied');

      await h.receive(reply({ from: ON_THE_ALIAS, to: confirm, body: 'CONFIRM\n' }));
      assert.equal(h.request(1).state, 'subscribed', 'a second, right answer still works');
    });

    it('an expired confirmation token is refused with a notice, and nobody is subscribed', async () => {
      h.clock.advance(3 * DAY + 60_000);
      const before = h.mark();
      await h.receive(reply({ from: ON_THE_ALIAS, to: confirm, body: 'CONFIRM\n' }));
      assert.equal(h.member(ALIAS), undefined);
      assert.equal(h.request(1).state, 'confirming');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['requester.notice.confirmation-problem', [ON_THE_ALIAS]]],
      );
      assert.match(sent[0]!.text, /not accepted: the token expired at 2026-03-13T09:30:00\.000Z/);
      assert.match(sent[0]!.text, /valid for a limited time/);
      assert.equal(h.auditActions().at(-1), 'confirmation.refused');
    });

    it('a confirmation token already used gets a notice that nothing more is needed', async () => {
      await h.receive(reply({ from: ON_THE_ALIAS, to: confirm, body: 'CONFIRM\n' }));
      const unchanged = h.state();
      const before = h.mark();
      await h.receive(reply({ from: ALIAS, to: confirm, body: 'CONFIRM\n' }));
      assert.deepEqual(h.state(), unchanged);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['requester.notice.confirmation-problem', [ALIAS]]],
      );
      assert.match(sent[0]!.text, /the token was used at .* by zerocool@seven-corp\.example/);
      assert.match(sent[0]!.text, /Nothing more is needed/);
    });

    it('an auto-reply carrying the token is discarded: it never confirms and gets no answer', async () => {
      const unchanged = h.state();
      const before = h.mark();
      const result = await h.receive(
        reply({
          from: ALIAS,
          to: confirm,
          subject: `Automatic reply: ${confirm.subject}`,
          body: 'CONFIRM\nI am out of the office until Monday.\n',
          headers: { 'Auto-Submitted': 'auto-replied' },
        }),
      );
      assert.equal(result.outcome, 'discard');
      assert.deepEqual(h.state(), unchanged);
      assert.equal(h.member(ALIAS), undefined);
      assert.deepEqual(await h.sent(before), []);
    });
  });

  describe('UNSUBSCRIBE', () => {
    beforeEach(() => {
      addMembers(h.ctx, MEMBER);
    });

    async function unsubscribeMail(): Promise<Sent> {
      const before = h.mark();
      const result = await h.receive(reply({ from: MEMBER, subject: 'unsubscribe', body: 'UNSUBSCRIBE\n' }));
      assert.equal(result.outcome, 'unsubscribe');
      return h.find(MEMBER, /Confirm that psirt@alpha\.example leaves the list/, before);
    }

    it("from an active member is answered at the member's address with a confirmation carrying a token", async () => {
      const mail = await unsubscribeMail();
      assert.deepEqual(mail.to, [MEMBER]);
      assert.ok(mail.token);
      const token = h.token(mail.token!)!;
      assert.deepEqual([token.purpose, token.subject, token.used_at], ['unsubscribe', MEMBER, null]);
      assert.equal(h.member(MEMBER)!.status, 'active', 'nothing happens before the confirmation');
    });

    it('the CONFIRM reply removes the member and tells it and the moderators', async () => {
      const mail = await unsubscribeMail();
      const before = h.mark();
      await h.receive(reply({ from: MEMBER, to: mail, body: 'CONFIRM\n' }));
      assert.equal(h.member(MEMBER)!.status, 'removed');
      assert.notEqual(h.token(mail.token!)!.used_at, null);
      const notice = await h.find(MEMBER, /psirt@alpha\.example is no longer a member/, before);
      assert.match(notice.text, /has left Example Security, as confirmed/);
      const told = await h.find(MODERATOR, /psirt@alpha\.example \(Org psirt@alpha\.example\) unsubscribed/, before);
      assert.deepEqual(told.to, MODERATORS);
      assert.ok(h.auditActions().includes('member.unsubscribe'));
    });

    it('from an address that is not a member is answered "not a member", and nothing is created', async () => {
      const before = h.mark();
      await h.receive(reply({ from: 'stranger@elsewhere.example', subject: 'unsubscribe', body: 'UNSUBSCRIBE\n' }));
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['requester.notice.not-a-member', ['stranger@elsewhere.example']]],
      );
      assert.match(sent[0]!.subject, /stranger@elsewhere\.example is not a member/);
      assert.deepEqual(h.tokens(), []);
      assert.equal(h.member(MEMBER)!.status, 'active');
    });
  });

  describe('REMOVE <alias> <reason>', () => {
    const REASON = 'Leaked the CVE-2026-0001 embargo twice.';

    beforeEach(() => {
      addMembers(h.ctx, MEMBER);
    });

    function removeMail(from: string, auth?: string): Buffer {
      return reply({ from, subject: 'Remove a member', body: `REMOVE ${MEMBER} ${REASON}\n`, auth });
    }

    async function confirmation(): Promise<Sent> {
      const before = h.mark();
      await h.receive(removeMail(MODERATOR, authenticated(MODERATOR_DOMAIN)));
      const sent = await h.sent(before);
      assert.equal(sent.length, 1);
      return sent[0]!;
    }

    it('from an authenticated moderator is answered with a confirmation to that moderator carrying a remove token', async () => {
      const mail = await confirmation();
      assert.equal(mail.purpose, 'moderator.action.confirm-remove');
      assert.deepEqual(mail.to, [MODERATOR]);
      assert.match(mail.subject, /Confirm removal of psirt@alpha\.example/);
      assert.ok(mail.text.includes(`Reason: ${REASON}`));
      const token = h.token(mail.token!)!;
      assert.equal(token.purpose, 'remove');
      assert.equal(token.subject, MEMBER);
      assert.equal(h.member(MEMBER)!.status, 'active', 'nothing happens before the confirmation');
      assert.equal(h.auditActions().at(-1), 'member.remove.requested');
    });

    it('the authenticated CONFIRM reply removes the member, with the reason in the notice to the alias', async () => {
      const mail = await confirmation();
      const before = h.mark();
      await h.command(mail, 'CONFIRM\n');
      assert.equal(h.member(MEMBER)!.status, 'removed');
      assert.equal(h.token(mail.token!)!.used_by, MODERATOR);
      const notice = await h.find(MEMBER, /psirt@alpha\.example is no longer a member/, before);
      assert.ok(notice.text.includes(`Their reason: ${REASON}`), notice.text);
      const told = await h.find(MODERATOR, /psirt@alpha\.example \(Org psirt@alpha\.example\) removed/, before);
      assert.deepEqual(told.to, MODERATORS);
      assert.ok(told.text.includes(`Removed by ${MODERATOR}. Reason: ${REASON}`));
      assert.ok(h.auditActions().includes('member.remove'));
    });

    it('a second CONFIRM to the same removal is answered "Already decided"', async () => {
      const mail = await confirmation();
      await h.command(mail, 'CONFIRM\n');
      const before = h.mark();
      await h.command(mail, 'CONFIRM\n', MODERATOR_2);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.already-decided', [MODERATOR_2]]],
      );
      assert.match(sent[0]!.subject, /Already decided: the removal of psirt@alpha\.example/);
    });

    it('an unauthenticated CONFIRM to the removal is refused and the member stays', async () => {
      const mail = await confirmation();
      await h.receive(reply({ from: MODERATOR, to: mail, body: 'CONFIRM\n' }));
      assert.equal(h.member(MEMBER)!.status, 'active');
      assert.equal(h.auditActions().at(-1), 'command.refused.conditions');
    });

    it('from an address that is not a moderator is refused, and the moderators are told', async () => {
      const before = h.mark();
      await h.receive(removeMail('mallory@attacker.example', authenticated('attacker.example')));
      assert.equal(h.member(MEMBER)!.status, 'active');
      assert.deepEqual(h.tokens(), []);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.command-refused', MODERATORS]],
      );
      assert.match(sent[0]!.text, /REMOVE was sent by an address that is not a moderator/);
      assert.equal(h.auditActions().at(-1), 'command.refused.remove-not-moderator');
    });

    it('from a moderator address that is not authenticated is refused, and the moderators are told', async () => {
      const before = h.mark();
      await h.receive(removeMail(MODERATOR));
      assert.equal(h.member(MEMBER)!.status, 'active');
      assert.deepEqual(h.tokens(), []);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.command-refused', MODERATORS]],
      );
      assert.match(sent[0]!.text, /the sender is not authenticated/);
      assert.equal(h.auditActions().at(-1), 'command.refused.remove');
    });

    it('of an address that is not a member is answered "Not done", and nothing is created', async () => {
      const before = h.mark();
      await h.receive(
        reply({
          from: MODERATOR,
          subject: 'Remove',
          body: 'REMOVE nobody@nowhere.example gone\n',
          auth: authenticated(MODERATOR_DOMAIN),
        }),
      );
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.cannot-approve', [MODERATOR]]],
      );
      assert.match(sent[0]!.text, /nobody@nowhere\.example is not an active member/);
      assert.deepEqual(h.tokens(), []);
    });
  });
});
