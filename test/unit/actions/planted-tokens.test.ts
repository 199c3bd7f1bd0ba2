/**
 * Issue 8 item 6: text of our token format that an applicant writes never reaches a subject we
 * write, so the moderators' ordinary reply carries exactly one token and is acted on.
 */
import assert from 'node:assert/strict';
import { findTokens } from '../../../src/message/tokens';
import { MODERATORS, REQUESTS_ADDRESS } from '../../helpers/context';
import { Disclosures, listMail } from '../../helpers/disclosures';
import { APPLICANT, joinRequest, Membership, MODERATOR, reply, type Sent } from '../../helpers/membership';

const T = 'abcdefghijklmnopqrstuvwxyz';
const T2 = 'zyxwvutsrqponmlkjihgfedcba';

/** The tokens the moderator's reply to this mail will carry: its subject (as the client shows it) and its Message-ID. */
function tokensOfReplyTo(mail: Sent): string[] {
  return findTokens({ inReplyTo: mail.messageId, references: [mail.messageId], subject: `Re: ${mail.subject}` });
}

/** A client or gateway that folds Unicode and drops invisible characters before the subject is read again. */
function folded(subject: string): string {
  return subject.normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '');
}

function assertOneToken(mail: Sent): void {
  assert.ok(mail.token, 'the mail carries our token in its Message-ID');
  assert.deepEqual(
    findTokens({ inReplyTo: null, references: [], subject: mail.subject }),
    [mail.token],
    `subject: ${mail.subject}`,
  );
  assert.deepEqual(
    findTokens({ inReplyTo: null, references: [], subject: folded(mail.subject) }),
    [mail.token],
    `folded subject: ${folded(mail.subject)}`,
  );
  assert.deepEqual(tokensOfReplyTo(mail), [mail.token]);
}

describe('planted tokens (through processRaw)', () => {
  let h: Membership;
  beforeEach(() => {
    h = new Membership();
  });

  const organizations: [string, string][] = [
    ['a token in lower case', `tk-${T}`],
    ['a token in upper case', `TK-${T.toUpperCase()}`],
    ['a token after the name', `Acme tk-${T}`],
    ['a zero-width space inside it', `tk-\u200b${T}`],
    ['a zero-width joiner between t and k', `t\u200dk-${T}`],
    ['full-width letters', `\uff54\uff4b\uff0d${T}`],
    ['a literal quoted-printable encoded word, which a reader of our subject would decode', `=?utf-8?q?tk=2D${T}?=`],
    ['two tokens', `tk-${T} tk-${T2}`],
  ];
  for (const [what, organization] of organizations) {
    it(`an organization with ${what} leaves the moderators' subject one token, and their APPROVE works`, async () => {
      const moderation = await h.submit(
        joinRequest({ organization, subject: 'Membership to Early Disclosure Mailing List' }),
      );
      assert.ok(h.request(1).organization!.toLowerCase().includes(T), 'the organization saved reads as a token');
      assertOneToken(moderation);
      await h.command(moderation, 'APPROVE\n');
      assert.equal(h.request(1).state, 'confirming');
    });
  }

  it('a request whose own Subject carries a token split across two encoded words is refused as an unknown token, and no mail of ours carries it in its subject', async () => {
    const subject = `=?utf-8?q?tk-${T.slice(0, 13)}?= =?utf-8?q?${T.slice(13)}?= Membership to Early Disclosure Mailing List`;
    const result = await h.receive(joinRequest({ subject }));
    assert.equal(result.outcome, 'refuse');
    assert.equal(h.ctx.db.prepare('SELECT count(*) FROM requests').pluck().get(), 0);
    const sent = await h.sent();
    assert.ok(
      sent.some((m) => m.purpose === 'moderator.notice.command-refused'),
      'the moderators are told of the refusal',
    );
    for (const mail of sent) {
      assert.deepEqual(
        findTokens({ inReplyTo: null, references: [], subject: mail.subject }),
        mail.token ? [mail.token] : [],
        `${mail.purpose}: ${mail.subject}`,
      );
    }
  });

  const heldSubjects: [string, string][] = [
    ['a token split across two encoded words', `=?utf-8?q?tk-${T.slice(0, 13)}?= =?utf-8?q?${T.slice(13)}?= exploit`],
    ['an upper-case token', `TK-${T.toUpperCase()} exploit`],
    ['a zero-width space inside the token', `=?utf-8?q?tk-=E2=80=8B${T}?= exploit`],
  ];
  for (const [what, subject] of heldSubjects) {
    it(`a stranger's post to the list with ${what} in its Subject is held; the moderators' mail carries one token and their DISCARD works`, async () => {
      const d = new Disclosures();
      const before = d.mark();
      const result = await d.receive(listMail({ from: 'mallory@evil.example', subject, body: 'Buy it now.\n' }));
      assert.equal(result.outcome, 'hold');
      const mail = (await d.sent(before)).find((m) => m.purpose === 'moderator.action.held-post')!;
      assert.ok(mail, 'the moderators are told');
      assertOneToken(mail);
      await d.command(mail, 'DISCARD\n');
      assert.equal(
        d.ctx.db.prepare('SELECT state FROM held WHERE inbound_id = ?').pluck().get(result.inboundId),
        'discarded',
      );
    });
  }

  it("a token in the applicant's display name reaches no subject: the moderators' subject has one token", async () => {
    const moderation = await h.submit(joinRequest({ fromName: `tk-${T}` }));
    assertOneToken(moderation);
    await h.command(moderation, 'APPROVE\n');
    assert.equal(h.request(1).state, 'confirming');
  });

  it("a token as the alias's local part leaves the confirmation's subject one token, and the alias's CONFIRM subscribes it", async () => {
    const alias = `tk-${T}@seven-corp.example`;
    const moderation = await h.submit(joinRequest({ alias }));
    const before = h.mark();
    await h.command(moderation, 'APPROVE\n');
    const confirm = await h.find(alias, /Confirm subscription of/, before);
    assertOneToken(confirm);
    const result = await h.receive(reply({ from: alias, to: confirm, body: 'CONFIRM\n' }));
    assert.equal(result.outcome, 'confirmation');
    assert.equal(h.request(1).state, 'subscribed');
  });

  it('after ASK, the moderators\' "answered" mail carries one token and their APPROVE on it works', async () => {
    const moderation = await h.submit(
      joinRequest({ organization: `TK-${T.toUpperCase()}`, subject: 'Membership to Early Disclosure Mailing List' }),
    );
    let before = h.mark();
    await h.command(moderation, 'ASK Who reads the alias?\n');
    const question = await h.find(APPLICANT, /A question about your request #1/, before);
    assertOneToken(question);
    before = h.mark();
    await h.receive(reply({ from: `Jane Doe <${APPLICANT}>`, to: question, body: 'Our three on-call engineers.\n' }));
    const answered = await h.find(MODERATOR, /answered/, before);
    assert.deepEqual(answered.to, MODERATORS);
    assertOneToken(answered);
    await h.command(answered, 'APPROVE\n');
    assert.equal(h.request(1).state, 'confirming');
  });

  it('still shows the moderators the organization exactly as written in the body of their mail', async () => {
    const moderation = await h.submit(
      joinRequest({ organization: `tk-${T}`, subject: 'Membership to Early Disclosure Mailing List' }),
    );
    assert.match(moderation.text, new RegExp(`Organization: +tk-${T}`));
    assert.match(moderation.subject, new RegExp(`Join request #1: tk_${T} \\(tk-${moderation.token}\\)$`));
  });

  it("the genuine applicant's request with no token-like text still gives a subject with its one token", async () => {
    const moderation = await h.submit(joinRequest());
    assertOneToken(moderation);
    assert.equal(REQUESTS_ADDRESS, 'security-requests@lists.example.org');
  });
});
