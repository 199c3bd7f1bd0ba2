import assert from 'node:assert/strict';
import { MODERATORS, REQUESTS_ADDRESS } from '../../helpers/context';
import {
  ALIAS,
  APPLICANT,
  authenticated,
  DAY,
  joinRequest,
  Membership,
  MODERATOR,
  MODERATOR_2,
  MODERATOR_DOMAIN,
  reply,
  type Sent,
} from '../../helpers/membership';

const OTHER_APPLICANT = 'amara@sahel-cloud.example';

function secondRequest(): Buffer {
  return joinRequest({
    from: OTHER_APPLICANT,
    fromName: 'Amara Diallo',
    organization: 'Sahel Cloud',
    alias: 'security@sahel-cloud.example',
  });
}

/** Outlook's top-posted reply: the keyword, then the original unquoted below a header block. */
function outlookReply(keywordLine: string, original: Sent): string {
  return [
    keywordLine,
    '',
    'Jo',
    '',
    '________________________________',
    `From: Example Security <${REQUESTS_ADDRESS}>`,
    'Sent: Tuesday, March 10, 2026 10:30 AM',
    `To: ${MODERATOR}`,
    `Subject: ${original.subject}`,
    '',
    original.text,
  ].join('\r\n');
}

/** Gmail's bottom-posted reply: the original quoted under an attribution, the keyword below it. */
function gmailBottomPosted(keywordLine: string, original: Sent): string {
  return [
    `On Tue, 10 Mar 2026 at 10:30, Example Security <${REQUESTS_ADDRESS}> wrote:`,
    ...original.text.split('\n').map((l) => `> ${l}`),
    '',
    keywordLine,
    '',
  ].join('\n');
}

describe('actions/moderator-command (through processRaw)', () => {
  let h: Membership;
  let moderation: Sent;

  beforeEach(async () => {
    h = new Membership();
    moderation = await h.submit(joinRequest());
  });

  describe('APPROVE by an authenticated moderator', () => {
    it('moves the request to confirming and sends the alias a confirmation mail with a confirm token', async () => {
      const before = h.mark();
      const result = await h.command(moderation, 'APPROVE\n');
      assert.equal(result.outcome, 'moderator-command');
      const row = h.request(1);
      assert.equal(row.state, 'confirming');
      assert.equal(row.decided_by, MODERATOR);

      const confirm = await h.find(ALIAS, /Confirm subscription of security@seven-corp\.example/, before);
      assert.deepEqual(confirm.to, [ALIAS]);
      assert.ok(confirm.token);
      assert.ok(confirm.subject.includes(`(tk-${confirm.token})`));
      const token = h.token(confirm.token!)!;
      assert.deepEqual([token.purpose, token.request_id, token.used_at], ['confirm', 1, null]);
      assert.match(confirm.text, /^ {2}CONFIRM$/m);
    });

    it('tells the applicant and the moderators, retires the moderation token and audits the decision', async () => {
      const before = h.mark();
      await h.command(moderation, 'APPROVE\n');
      const approved = await h.find(APPLICANT, /Request #1 approved: please confirm the alias/, before);
      assert.match(approved.text, /a confirmation mail has gone to security@seven-corp\.example/);
      const decided = await h.find(MODERATOR, /Request #1 \(Seven-Corp\): approve by moderator@example\.org/, before);
      assert.deepEqual(decided.to, MODERATORS);
      assert.equal(h.token(moderation.token!)!.used_by, MODERATOR);
      assert.deepEqual(h.auditActions(), ['request.receive', 'request.approve']);
      assert.deepEqual(
        h.events(1).map((e) => [e.kind, e.actor]),
        [
          ['received', APPLICANT],
          ['approve', MODERATOR],
        ],
      );
    });
  });

  it('REJECT <reason> closes the request and sends the reason to the applicant', async () => {
    const before = h.mark();
    await h.command(moderation, 'REJECT You do not redistribute Istio.\n');
    const row = h.request(1);
    assert.equal(row.state, 'rejected');
    assert.equal(row.reason, 'You do not redistribute Istio.');
    const rejected = await h.find(APPLICANT, /Request #1 not approved/, before);
    assert.match(rejected.text, /Their reason:\s+You do not redistribute Istio\./);
    assert.equal(rejected.inReplyTo, h.request(1).message_id);
    assert.equal(
      (await h.sent(before)).filter((m) => m.to.includes(ALIAS)).length,
      0,
      'no confirmation for a rejected request',
    );
    assert.ok(h.auditActions().includes('request.reject'));
  });

  describe("ASK and the applicant's answer", () => {
    const QUESTION = 'Which of your products ship Istio?';

    async function asked(): Promise<Sent> {
      const before = h.mark();
      await h.command(moderation, `ASK ${QUESTION}\n`);
      return h.find(APPLICANT, /A question about your request #1/, before);
    }

    it('ASK <question> puts the request in state asked and mails the question to the applicant with a token of its own', async () => {
      const question = await asked();
      assert.equal(h.request(1).state, 'asked');
      assert.ok(question.text.includes(QUESTION));
      assert.ok(question.token);
      assert.ok(question.subject.includes(`(tk-${question.token})`));
      const token = h.token(question.token!)!;
      assert.deepEqual([token.purpose, token.request_id, token.used_at], ['applicant', 1, null]);
      assert.equal(
        h.token(moderation.token!)!.used_at,
        null,
        "ASK is not a decision: the moderators' token stays valid",
      );
      assert.deepEqual(
        h.events(1).map((e) => [e.kind, e.text]),
        [
          ['received', null],
          ['ask', QUESTION],
        ],
      );
    });

    it("the applicant's reply puts the request before the moderators again, with the answer, and records it", async () => {
      const question = await asked();
      const before = h.mark();
      const result = await h.receive(
        reply({
          from: `Jane Doe <${APPLICANT}>`,
          to: question,
          body: `We ship Seven Mesh and Seven Edge.\n\nOn Tue, 10 Mar 2026 at 10:30, Example Security <${REQUESTS_ADDRESS}> wrote:\n> ${QUESTION}\n`,
        }),
      );
      assert.equal(result.outcome, 'applicant-reply');
      assert.equal(h.request(1).state, 'moderation');
      const answered = await h.find(MODERATOR, /Join request #1: Seven-Corp answered/, before);
      assert.deepEqual(answered.to, MODERATORS);
      assert.match(answered.text, /We ship Seven Mesh and Seven Edge\./);
      assert.ok(answered.text.includes(QUESTION), 'the thread shows the question too');
      assert.ok(answered.token);
      assert.equal(h.token(answered.token!)!.purpose, 'moderate');
      const events = h.events(1);
      assert.deepEqual(
        events.map((e) => e.kind),
        ['received', 'ask', 'answer'],
      );
      assert.equal(events[2]!.actor, APPLICANT);
      assert.equal(events[2]!.text, 'We ship Seven Mesh and Seven Edge.');
      assert.ok(h.auditActions().includes('request.answer'));
    });

    it("lets a moderator approve from the mail that carries the applicant's answer", async () => {
      const question = await asked();
      const before = h.mark();
      await h.receive(reply({ from: APPLICANT, to: question, body: 'Seven Mesh.\n' }));
      const answered = await h.find(MODERATOR, /answered/, before);
      await h.command(answered, 'APPROVE\n');
      assert.equal(h.request(1).state, 'confirming');
    });

    it("refuses an answer from someone other than the applicant, even with the applicant's token", async () => {
      const question = await asked();
      const unchanged = h.state();
      const before = h.mark();
      const result = await h.receive(
        reply({ from: 'mallory@attacker.example', to: question, body: 'We ship everything.\n' }),
      );
      assert.equal(result.outcome, 'applicant-reply');
      assert.deepEqual(h.state(), unchanged);
      assert.equal(h.request(1).state, 'asked');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.command-refused', MODERATORS]],
      );
      assert.match(sent[0]!.text, /not from the applicant jane\.doe@seven-corp\.example/);
      assert.equal(h.auditActions().at(-1), 'command.refused.applicant-sender');
    });
  });

  describe('refused: nothing changed, audited, and the moderators told', () => {
    /** Runs the message and checks everything a refusal promises; returns the notice text. */
    async function refused(raw: Buffer, label: string): Promise<string> {
      const unchanged = h.state();
      const before = h.mark();
      const auditBefore = h.auditActions().length;
      const result = await h.receive(raw);
      assert.equal(result.status, 'processed');
      assert.deepEqual(h.state(), unchanged, 'no request, event, token or member changed');
      assert.deepEqual(h.auditActions().slice(auditBefore), [`command.refused.${label}`]);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.command-refused', MODERATORS]],
        'only the moderators hear of it',
      );
      assert.match(sent[0]!.subject, /Refused a command from /);
      return sent[0]!.text;
    }

    it('a forged moderator reply: the right From and token, but no Authentication-Results', async () => {
      const text = await refused(reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n' }), 'conditions');
      assert.match(text, /the sender is not authenticated/);
      assert.equal(h.request(1).state, 'moderation');
    });

    it('the right From with a dkim=pass for another domain', async () => {
      const auth = `Authentication-Results: mx.lists.example.org; dkim=pass header.d=attacker.example header.s=sel; dmarc=fail header.from=${MODERATOR_DOMAIN}`;
      const text = await refused(reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n', auth }), 'conditions');
      assert.match(text, /the sender is not authenticated/);
    });

    it('a pass from an authserv-id that is not trusted', async () => {
      const auth = authenticated(MODERATOR_DOMAIN, { authservId: 'mx.attacker.example' });
      const text = await refused(reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n', auth }), 'conditions');
      assert.match(text, /the sender is not authenticated/);
    });

    it('a sender who is not a moderator, with valid authentication for its own domain and the right token', async () => {
      const auth = authenticated('attacker.example');
      const text = await refused(
        reply({ from: 'mallory@attacker.example', to: moderation, body: 'APPROVE\n', auth }),
        'conditions',
      );
      assert.match(text, /the sender is not a configured moderator/);
    });

    it('a reply carrying another request\'s token while its subject names "Join request #1"', async () => {
      const other = await h.submit(secondRequest());
      assert.match(other.subject, /Join request #2/);
      const raw = reply({
        from: MODERATOR,
        to: other,
        body: 'APPROVE\n',
        auth: authenticated(MODERATOR_DOMAIN),
        subject: 'Re: [Example Security] Join request #1: Seven-Corp',
      });
      const text = await refused(raw, 'conditions');
      assert.match(text, /the subject names request #1 but the token belongs to request #2/);
      assert.equal(h.request(1).state, 'moderation');
      assert.equal(h.request(2).state, 'moderation');
    });

    it('a reply carrying a token that was never issued', async () => {
      const forged = '<r1.0badc0de.tk-abcdefghijklmnopqrstuvwxyz@lists.example.org>';
      const raw = reply({
        from: MODERATOR,
        body: 'APPROVE\n',
        auth: authenticated(MODERATOR_DOMAIN),
        subject: 'Re: Join request #1',
        inReplyTo: forged,
        references: [forged],
      });
      const text = await refused(raw, 'unknown-token');
      assert.match(text, /never issued/);
    });

    it('a never-issued token next to the real one', async () => {
      const forged = '<r1.0badc0de.tk-abcdefghijklmnopqrstuvwxyz@lists.example.org>';
      const raw = reply({
        from: MODERATOR,
        to: moderation,
        body: 'APPROVE\n',
        auth: authenticated(MODERATOR_DOMAIN),
        references: [moderation.messageId, forged],
      });
      await refused(raw, 'unknown-token');
    });

    it('APPROVE with no token at all', async () => {
      const raw = reply({
        from: MODERATOR,
        body: 'APPROVE\n',
        auth: authenticated(MODERATOR_DOMAIN),
        subject: 'Re: [Example Security] Join request #1: Seven-Corp',
      });
      const text = await refused(raw, 'keyword-without-token');
      assert.match(text, /no token of a mail we sent/);
    });
  });

  describe('a token that cannot be used any more', () => {
    it('a second APPROVE after the first decision gets "Already decided", changes nothing, and is audited as stale', async () => {
      await h.command(moderation, 'REJECT Not a redistributor.\n');
      const unchanged = h.state();
      const before = h.mark();
      await h.command(moderation, 'APPROVE\n', MODERATOR_2);
      assert.deepEqual(h.state(), unchanged);
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.already-decided', [MODERATOR_2]]],
      );
      assert.match(sent[0]!.subject, /Already decided: request #1/);
      assert.match(sent[0]!.text, /State: +rejected/);
      assert.match(sent[0]!.text, new RegExp(`Decided by: ${MODERATOR}`));
      assert.match(sent[0]!.text, /Reason: +Not a redistributor\./);
      assert.equal(h.auditActions().at(-1), 'command.stale');
    });

    it('an expired token gets a "came too late" notice and a fresh moderation mail with a new token', async () => {
      h.clock.advance(3 * DAY + 60_000);
      const before = h.mark();
      await h.command(moderation, 'APPROVE\n');
      assert.equal(h.request(1).state, 'moderation', 'nothing was decided');
      const late = await h.find(MODERATOR, /Your reply came too late for request #1/, before);
      assert.deepEqual(late.to, [MODERATOR]);
      assert.match(late.text, /expired\s+at 2026-03-13T09:30:00\.000Z/);
      const fresh = await h.find(MODERATOR, /Join request #1: Seven-Corp/, before);
      assert.deepEqual(fresh.to, MODERATORS);
      assert.ok(fresh.token && fresh.token !== moderation.token, 'a new token');
      const token = h.token(fresh.token)!;
      assert.deepEqual([token.purpose, token.request_id, token.used_at], ['moderate', 1, null]);
      assert.match(fresh.text, /carried an expired token/);
      assert.equal(h.auditActions().at(-1), 'command.expired-token');

      await h.command(fresh, 'APPROVE\n');
      assert.equal(h.request(1).state, 'confirming', 'the fresh token works');
    });

    it('a second APPROVE from the same moderator sends no second confirmation to the alias', async () => {
      await h.command(moderation, 'APPROVE\n');
      const unchanged = h.state();
      const before = h.mark();
      await h.command(moderation, 'APPROVE\n');
      assert.deepEqual(h.state(), unchanged);
      assert.equal(h.request(1).state, 'confirming');
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['moderator.notice.already-decided', [MODERATOR]]],
      );
      assert.equal(h.auditActions().at(-1), 'command.stale');
    });

    it("after one moderator's ASK another can still decide with the same token, since ASK decides nothing", async () => {
      await h.command(moderation, 'ASK Who reads the alias?\n');
      await h.command(moderation, 'APPROVE\n', MODERATOR_2);
      assert.equal(h.request(1).state, 'confirming');
    });
  });

  it('does not APPROVE a request that names no alias, and says why', async () => {
    const noAlias = await h.submit(
      joinRequest({
        from: OTHER_APPLICANT,
        fromName: 'Amara Diallo',
        organization: 'Sahel Cloud',
        answers: [
          'Yes, our team monitors a shared security inbox.',
          'We ship Istio.',
          'Many customers.',
          'We contribute.',
          'We accept.',
        ],
      }),
    );
    assert.equal(h.request(2).alias, null);
    const before = h.mark();
    await h.command(noAlias, 'APPROVE\n');
    assert.equal(h.request(2).state, 'moderation');
    assert.equal(h.token(noAlias.token!)!.used_at, null, 'the token stays usable for another command');
    const sent = await h.sent(before);
    assert.deepEqual(
      sent.map((m) => [m.purpose, m.to]),
      [['moderator.notice.cannot-approve', [MODERATOR]]],
    );
    assert.match(sent[0]!.text, /names no alias to subscribe; ASK the applicant for one/);
  });

  it('does not ASK without a question, and says how', async () => {
    const before = h.mark();
    await h.command(moderation, 'ASK\n');
    assert.equal(h.request(1).state, 'moderation');
    const sent = await h.sent(before);
    assert.deepEqual(
      sent.map((m) => [m.purpose, m.to]),
      [['moderator.notice.cannot-approve', [MODERATOR]]],
    );
    assert.match(sent[0]!.text, /ASK needs the question on the same line/);
  });

  it('answers an authenticated reply without a keyword with "No command found", and changes nothing', async () => {
    const unchanged = h.state();
    const before = h.mark();
    await h.command(moderation, 'Looks fine to me, but let us wait for Bob.\n');
    assert.deepEqual(h.state(), unchanged);
    const sent = await h.sent(before);
    assert.deepEqual(
      sent.map((m) => [m.purpose, m.to]),
      [['moderator.notice.no-keyword', [MODERATOR]]],
    );
    assert.match(sent[0]!.subject, /No command found in your reply/);
    assert.match(sent[0]!.text, /Keywords for the mail you answered: APPROVE, REJECT, ASK/);
    assert.equal(h.auditActions().at(-1), 'command.no-keyword');
  });

  it('does not take a keyword of the wrong kind (CONFIRM to a join request) as a command', async () => {
    await h.command(moderation, 'CONFIRM\n');
    assert.equal(h.request(1).state, 'moderation');
    assert.match((await h.sent()).at(-1)!.text, /CONFIRM does not/);
  });

  describe('keywords in the replies mail programs write', () => {
    it("reads APPROVE top-posted above Outlook's unquoted original", async () => {
      await h.command(moderation, outlookReply('APPROVE', moderation));
      assert.equal(h.request(1).state, 'confirming');
    });

    it("reads REJECT and its reason bottom-posted below Gmail's quoted original", async () => {
      await h.command(moderation, gmailBottomPosted('REJECT Not a redistributor.', moderation));
      assert.equal(h.request(1).state, 'rejected');
      assert.equal(h.request(1).reason, 'Not a redistributor.');
    });

    it("reads ASK top-posted above Gmail's quoted original", async () => {
      const body = `ASK Which products ship Istio?\n\nOn Tue, 10 Mar 2026 at 10:30, Example Security <${REQUESTS_ADDRESS}> wrote:\n${moderation.text
        .split('\n')
        .map((l) => `> ${l}`)
        .join('\n')}\n`;
      await h.command(moderation, body);
      assert.equal(h.request(1).state, 'asked');
      assert.equal(h.events(1).at(-1)!.text, 'Which products ship Istio?');
    });

    it('ignores the keywords listed in the quoted original when the moderator wrote none', async () => {
      await h.command(moderation, gmailBottomPosted('Thanks, looking at it.', moderation));
      assert.equal(h.request(1).state, 'moderation');
      assert.match((await h.sent()).at(-1)!.subject, /No command found/);
    });
  });
});
