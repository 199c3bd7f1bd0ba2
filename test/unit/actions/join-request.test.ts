import assert from 'node:assert/strict';
import { MODERATORS, REQUESTS_ADDRESS } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { crlf, encodedWord } from '../../helpers/raw-mail';
import {
  APPLICANT,
  authenticated,
  joinRequest,
  Membership,
  MODERATOR,
  policyExample,
  reply,
  type Sent,
} from '../../helpers/membership';

const GMAIL_ALIAS = 'sevencorp.security@gmail.com';

/** The request as the trusted receiving host passes it on after an aligned DKIM and DMARC pass for the applicant's domain. */
function signed(raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${authenticated('seven-corp.example')}\r\n`), raw]);
}

/** A request with criterion 4 left out and a free-mail alias. */
function incompleteRequest(): Buffer {
  return joinRequest({
    alias: GMAIL_ALIAS,
    answers: [
      `Please subscribe ${GMAIL_ALIAS}, our team's shared inbox.`,
      'We ship Seven, an Istio distribution.',
      'Thousands of companies run Seven.',
      null,
      'We accept.',
    ],
  });
}

describe('actions/join-request (through processRaw)', () => {
  let h: Membership;

  beforeEach(() => {
    h = new Membership();
  });

  describe("the policy document's example request", () => {
    let sent: Sent[];

    beforeEach(async () => {
      const result = await h.receive(policyExample());
      assert.equal(result.outcome, 'join-request');
      sent = await h.sent();
    });

    it('becomes request #1, in state moderation, with the five answers keyed "1" to "5"', () => {
      const row = h.request(1);
      assert.equal(row.state, 'moderation');
      assert.equal(row.applicant, APPLICANT);
      assert.equal(row.organization, 'Seven-Corp');
      assert.equal(row.alias, 'istio-security-team@example.com');
      assert.equal(row.message_id, '<join-example-1@seven-corp.example>');
      const answers = JSON.parse(row.answers) as Record<string, string>;
      assert.deepEqual(Object.keys(answers), ['1', '2', '3', '4', '5']);
      assert.equal(answers['5'], 'We accept.');
      assert.deepEqual(JSON.parse(row.missing), []);
      assert.equal(row.accepts_embargo, 1);
      assert.deepEqual(
        h.events(1).map((e) => e.kind),
        ['received'],
      );
      assert.deepEqual(h.auditActions(), ['request.receive']);
    });

    it("acknowledges it to the applicant as an auto-reply, In-Reply-To the request's Message-ID", () => {
      const acks = sent.filter((m) => m.to.includes(APPLICANT));
      assert.equal(acks.length, 1);
      const ack = acks[0]!;
      assert.deepEqual(ack.to, [APPLICANT]);
      assert.match(ack.subject, /Your request to join \(#1\)/);
      assert.equal(ack.autoSubmitted, 'auto-replied');
      assert.equal(ack.inReplyTo, '<join-example-1@seven-corp.example>');
      assert.match(ack.text, /it is now request #1 before the list's moderators/);
    });

    it('sends each moderator exactly one moderation mail whose Message-ID and Subject carry a token issued for moderation', () => {
      const moderation = sent.filter((m) => m.purpose === 'moderator.action.join-request');
      assert.equal(moderation.length, 1);
      const mail = moderation[0]!;
      for (const moderator of MODERATORS) {
        assert.equal(sent.filter((m) => m.to.includes(moderator)).length, 1, `${moderator} gets one mail`);
      }
      assert.deepEqual(mail.to, MODERATORS);
      assert.ok(mail.token, 'the Message-ID carries a tk- token');
      assert.match(mail.messageId, new RegExp(`^<r1\\.[0-9a-f]+\\.tk-${mail.token}@lists\\.example\\.org>$`));
      assert.match(
        mail.subject,
        new RegExp(`^\\[Example Security\\] Join request #1: Seven-Corp \\(tk-${mail.token}\\)$`),
      );
      const token = h.token(mail.token!);
      assert.ok(token, 'the token is in the tokens table');
      assert.equal(token.purpose, 'moderate');
      assert.equal(token.request_id, 1);
      assert.equal(token.used_at, null);
      assert.equal(token.expires_at, '2026-03-13T09:30:00.000Z', 'policy.tokenDays (3) after the clock');
    });

    it('shows the moderators every answer, the alias and the findings', () => {
      const mail = sent.find((m) => m.purpose === 'moderator.action.join-request')!;
      for (const answer of [
        'Yes, please subscribe',
        'We distribute the "Seven"',
        'Our user base spans',
        'hacking the Gibson',
        'We accept.',
      ]) {
        assert.ok(mail.text.includes(answer), `the mail shows "${answer}"`);
      }
      assert.match(mail.text, /Alias: +istio-security-team@example\.com/);
      assert.match(mail.text, /\[ALIAS_FREEMAIL\]/);
      assert.match(mail.text, /the embargo policy is accepted/);
    });
  });

  describe('a request with criterion 4 missing and a gmail alias', () => {
    it('tells the applicant that criterion 4 is not answered, that the alias is free mail, and how to send the request again', async () => {
      await h.receive(incompleteRequest());
      const ack = await h.find(APPLICANT, /Your request to join \(#1\)/);
      assert.match(
        ack.text,
        /Criterion 4 is not answered:\s+"Be a participant and active contributor in the Istio community\."/,
      );
      assert.ok(ack.text.includes(`The alias ${GMAIL_ALIAS} is at gmail.com, a free-mail provider`), ack.text);
      assert.match(
        ack.text,
        new RegExp(
          `send your whole request again to ${REQUESTS_ADDRESS.replace(/\./g, '\\.')} as a new\\s+mail \\(not a reply\\)`,
        ),
      );
      assert.match(ack.text, /The new request replaces this one once we can tell it is yours/);
      assert.doesNotMatch(ack.text, /Every criterion is answered/);
      assert.doesNotMatch(ack.text, /Criterion [1235] is not answered/);
    });

    it("lists the findings in the moderators' mail", async () => {
      const moderation = await h.submit(incompleteRequest());
      assert.match(moderation.text, /- \[ALIAS_FREEMAIL\] The alias sevencorp\.security@gmail\.com is at gmail\.com/);
      assert.match(moderation.text, /- \[CRITERION_MISSING\] criterion 4 is not answered/);
      assert.doesNotMatch(moderation.text, /CRITERION_MISSING\] criterion [1235]/);
      assert.match(
        moderation.text,
        /4\. Be a participant and active contributor in the Istio community\.\n +\(no answer\)/,
      );
      const row = h.request(1);
      assert.deepEqual(JSON.parse(row.missing), [4]);
      assert.deepEqual(
        (JSON.parse(row.findings) as { code: string }[]).map((f) => f.code),
        ['ALIAS_FREEMAIL'],
      );
    });
  });

  it('tells an applicant whose request is complete and whose alias meets the policy that nothing needs fixing', async () => {
    await h.receive(joinRequest());
    const ack = await h.find(APPLICANT, /Your request to join \(#1\)/);
    assert.match(ack.text, /Every criterion is answered and the alias meets the policy/);
    assert.doesNotMatch(ack.text, /send your whole request again/);
  });

  describe('a second request from the same applicant, authenticated (see request-hijack.test.ts for the others)', () => {
    it('supersedes the first: the first is closed as superseded and its moderation token retired', async () => {
      const first = await h.submit(incompleteRequest());
      const before = h.mark();
      const second = await h.submit(signed(joinRequest()));

      const old = h.request(1);
      assert.equal(old.state, 'superseded');
      assert.equal(old.decided_by, APPLICANT);
      assert.equal(old.reason, 'superseded by request #2');
      assert.equal(h.request(2).state, 'moderation');
      const retired = h.token(first.token!)!;
      assert.notEqual(retired.used_at, null, "the first request's token can no longer be used");
      assert.equal(retired.used_by, 'superseded:#2');
      assert.equal(h.token(second.token!)!.used_at, null);
      assert.deepEqual(
        h.events(1).map((e) => e.kind),
        ['received', 'superseded'],
      );
      assert.match(second.subject, /Join request #2/);
      assert.match(second.text, /This request replaces the applicant's earlier request #1\./);
      assert.equal((await h.sent(before)).filter((m) => m.purpose === 'moderator.action.join-request').length, 1);
    });

    it('answers a moderator who still replies to the superseded request with "Already decided"', async () => {
      const first = await h.submit(incompleteRequest());
      await h.submit(signed(joinRequest()));
      const before = h.mark();
      await h.command(first, 'APPROVE\n');
      const notice = await h.find(MODERATOR, /Already decided: request #1/, before);
      assert.match(notice.text, /State: +superseded/);
      assert.equal(h.request(1).state, 'superseded');
      assert.equal(h.request(2).state, 'moderation');
    });

    it("does not touch another applicant's open request", async () => {
      await h.submit(joinRequest());
      await h.submit(
        joinRequest({
          from: 'amara@sahel-cloud.example',
          fromName: 'Amara Diallo',
          organization: 'Sahel Cloud',
          alias: 'security@sahel-cloud.example',
        }),
      );
      assert.equal(h.request(1).state, 'moderation');
      assert.equal(h.request(2).state, 'moderation');
    });
  });

  it("does not take the applicant's thank-you reply to the acknowledgement as a new request that replaces the first", async () => {
    const moderation = await h.submit(joinRequest());
    const ack = await h.find(APPLICANT, /Your request to join \(#1\)/);
    await h.receive(
      reply({
        from: `Jane Doe <${APPLICANT}>`,
        to: ack,
        body: `Thank you!\n\nOn Tue, 10 Mar 2026 at 09:30, Example Security <${REQUESTS_ADDRESS}> wrote:\n${ack.text
          .split('\n')
          .map((l) => `> ${l}`)
          .join('\n')}\n`,
      }),
    );
    // The complete request must stay before the moderators, its token usable.
    assert.equal(h.request(1).state, 'moderation');
    assert.equal(h.token(moderation.token!)!.used_at, null);
    assert.equal(
      h.ctx.db.prepare('SELECT count(*) FROM requests').pluck().get(),
      1,
      'no second request made of the reply',
    );
  });

  describe('robots writing to the requests address get no answer at all', () => {
    // Bounces go to the bounce handling (which names no member here and so does nothing).
    const robots: [string, string, () => Buffer][] = [
      [
        'an auto-reply (Auto-Submitted: auto-replied)',
        'discard',
        () => joinRequest({ subject: 'Re: your mail', headers: { 'Auto-Submitted': 'auto-replied' } }),
      ],
      [
        'an out-of-office reply',
        'discard',
        () =>
          makeMessage({
            from: APPLICANT,
            to: REQUESTS_ADDRESS,
            subject: 'Out of office: back on Monday',
            body: 'I am away.\n',
          }),
      ],
      [
        'a bounce with the null Return-Path',
        'bounce',
        () =>
          makeMessage({
            from: APPLICANT,
            to: REQUESTS_ADDRESS,
            subject: 'Undelivered Mail Returned to Sender',
            headers: { 'Return-Path': '<>' },
          }),
      ],
      [
        'a bounce from MAILER-DAEMON',
        'bounce',
        () =>
          makeMessage({
            from: 'Mail Delivery System <MAILER-DAEMON@mx.seven-corp.example>',
            to: REQUESTS_ADDRESS,
            subject: 'Delivery Status Notification (Failure)',
          }),
      ],
    ];
    for (const [what, outcome, build] of robots) {
      it(`answers ${what} with nothing: no request, nothing in the outbox`, async () => {
        const result = await h.receive(build());
        assert.equal(result.status, 'processed');
        assert.equal(result.outcome, outcome);
        assert.deepEqual(await h.sent(), []);
        assert.equal(h.ctx.db.prepare('SELECT count(*) FROM requests').pluck().get(), 0);
        assert.deepEqual(h.tokens(), []);
      });
    }
  });

  it('keeps line breaks smuggled into the subject out of the headers of the mails it writes', async () => {
    const body = joinRequest().toString('utf8').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    await h.receive(
      Buffer.from(
        crlf(
          `From: Jane Doe <${APPLICANT}>`,
          `To: ${REQUESTS_ADDRESS}`,
          `Subject: ${encodedWord('Evil-Corp\r\nBcc: attacker@evil.example\r\n')} Membership to Early Disclosure Mailing List`,
          'Message-ID: <smuggled@seven-corp.example>',
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=utf-8',
          '',
        ).toString('utf8') + body,
        'utf8',
      ),
    );
    const rows = h.ctx.db.prepare('SELECT raw FROM outbox_message').pluck().all() as Buffer[];
    assert.equal(rows.length, 2, 'the acknowledgement and the moderation mail');
    for (const raw of rows) {
      const head = raw.toString('utf8').split('\r\n\r\n')[0]!;
      assert.doesNotMatch(head, /^Bcc:/im);
      const names = head
        .split('\r\n')
        .filter((l) => !/^[ \t]/.test(l))
        .map((l) => l.slice(0, l.indexOf(':')));
      assert.deepEqual(
        names.filter(
          (n) =>
            ![
              'From',
              'To',
              'Subject',
              'Date',
              'Message-ID',
              'In-Reply-To',
              'References',
              'Auto-Submitted',
              'X-Auto-Response-Suppress',
              'X-Loop',
              'Content-Transfer-Encoding',
              'MIME-Version',
              'Content-Type',
            ].includes(n),
        ),
        [],
      );
    }
  });
});
