import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { mimeParts } from '../../../src/message/mime-parts';
import { parseMessage } from '../../../src/message/parse';
import {
  MAX_RECIPIENTS,
  parseBounce,
  verpAddress,
  verpTokenOf,
  type BounceInput,
  type ParsedBounce,
} from '../../../src/policy/bounce';
import { BOUNCE_ADDRESS, REPO_ROOT } from '../../helpers/context';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'bounces');
const TOKEN = 'm7f3k2q9';

/** The input the pipeline would give; `bounceAddress: null` leaves the list's bounce address out. */
async function inputOf(raw: Buffer, bounceAddress: string | null = BOUNCE_ADDRESS): Promise<BounceInput> {
  const m = await parseMessage(raw);
  return {
    headers: m.headers,
    text: m.text,
    parts: m.parts,
    to: m.to.map((a) => a.address),
    ...(bounceAddress === null ? {} : { bounceAddress }),
  };
}

function fixture(name: string, edit: (text: string) => string = (t) => t): Buffer {
  return Buffer.from(edit(fs.readFileSync(path.join(FIXTURES, name), 'latin1')), 'latin1');
}

async function bounceOf(raw: Buffer): Promise<ParsedBounce | null> {
  return parseBounce(await inputOf(raw));
}

async function mustBounce(raw: Buffer): Promise<ParsedBounce> {
  const b = await bounceOf(raw);
  assert.ok(b, 'expected a bounce');
  return b;
}

/** A report from a mailer daemon (or from `from`) with the given status part, CRLF line ends. */
function report(statusPart: string, opts: { from?: string; cte?: string; text?: string } = {}): Buffer {
  const lines = [
    `From: ${opts.from ?? 'MAILER-DAEMON@mail.example.org (Mail Delivery System)'}`,
    `To: security-bounces+${TOKEN}@lists.example.org`,
    'Subject: Undelivered Mail Returned to Sender',
    'Message-ID: <report-1@mail.example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="RB"',
    '',
    '--RB',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    opts.text ?? 'Your message could not be delivered.',
    '',
    '--RB',
    'Content-Type: message/delivery-status',
    ...(opts.cte ? [`Content-Transfer-Encoding: ${opts.cte}`] : []),
    '',
    statusPart,
    '',
    '--RB--',
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

const PER_MESSAGE = 'Reporting-MTA: dns; mail.example.org\r\nArrival-Date: Tue, 10 Mar 2026 09:30:01 +0000\r\n';

function recipientBlock(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
}

describe('policy/bounce', () => {
  describe('parseBounce: delivery status notifications (RFC 3464)', () => {
    it('reads the failed recipient, its status and its diagnostic from a Postfix report', async () => {
      const b = await mustBounce(fixture('postfix-dsn.eml'));
      assert.equal(b.kind, 'dsn');
      assert.equal(b.verpToken, TOKEN);
      assert.deepEqual(b.recipients, [
        {
          address: 'nobody@example.net',
          status: '5.1.1',
          action: 'failed',
          diagnostic:
            'smtp; 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
          permanent: true,
        },
      ]);
    });

    it('takes a delayed report with a 4.x.x status as not permanent', async () => {
      const b = await mustBounce(fixture('postfix-delayed.eml'));
      assert.equal(b.kind, 'dsn');
      assert.equal(b.recipients.length, 1);
      assert.equal(b.recipients[0]!.address, 'slow@example.com');
      assert.equal(b.recipients[0]!.status, '4.4.1');
      assert.equal(b.recipients[0]!.action, 'delayed');
      assert.equal(b.recipients[0]!.permanent, false);
    });

    it("finds Gmail's status part beside a multipart/related notice with an icon", async () => {
      const b = await mustBounce(fixture('gmail.eml'));
      assert.equal(b.kind, 'dsn');
      assert.equal(b.recipients.length, 1);
      assert.equal(b.recipients[0]!.address, 'heidi.example@gmail.com');
      assert.equal(b.recipients[0]!.status, '5.1.1');
      assert.equal(b.recipients[0]!.permanent, true);
      assert.match(b.recipients[0]!.diagnostic!, /does not exist\. Please try double-checking/);
    });

    it("prefers Exim's status part to its wording, and counts its 5.0.0 as permanent", async () => {
      const b = await mustBounce(fixture('exim.eml'));
      assert.equal(b.kind, 'dsn');
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.permanent]),
        [['carol@partner.example', '5.0.0', true]],
      );
    });

    it('reads a report stored with bare LF line ends', async () => {
      const b = await mustBounce(fixture('postfix-dsn.eml', (t) => t.replace(/\r\n/g, '\n')));
      assert.equal(b.kind, 'dsn');
      assert.equal(b.recipients[0]!.address, 'nobody@example.net');
    });

    it('reads a status part sent in base64', async () => {
      const part = `${PER_MESSAGE}\r\n${recipientBlock({ 'Final-Recipient': 'rfc822; nobody@example.net', Action: 'failed', Status: '5.1.1' })}\r\n`;
      const encoded = Buffer.from(part)
        .toString('base64')
        .replace(/(.{76})/g, '$1\r\n');
      const b = await mustBounce(report(encoded, { cte: 'base64' }));
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status]),
        [['nobody@example.net', '5.1.1']],
      );
    });

    it('falls back to Original-Recipient, and reads angle brackets, "utf-8;" and upper-case field names', async () => {
      const part = [
        PER_MESSAGE,
        recipientBlock({ 'Original-Recipient': 'rfc822;<One@Example.NET>', Action: 'failed', Status: '5.1.1' }),
        '',
        recipientBlock({
          'FINAL-RECIPIENT': 'utf-8; jörg@example.de',
          ACTION: 'Failed',
          STATUS: '5.2.2 (mailbox full)',
        }),
      ].join('\r\n');
      const b = await mustBounce(report(part));
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.action, r.status, r.permanent]),
        [
          ['one@example.net', 'failed', '5.1.1', true],
          ['jörg@example.de', 'failed', '5.2.2', true],
        ],
      );
    });

    it('decides permanence by the Action when there is one, and by a 5.x.x Status when there is not', async () => {
      const blocks: Record<string, string>[] = [
        { 'Final-Recipient': 'rfc822; a@example.net', Action: 'failed', Status: '4.4.7' },
        { 'Final-Recipient': 'rfc822; b@example.net', Status: '5.1.1' },
        { 'Final-Recipient': 'rfc822; c@example.net', Status: '4.2.2' },
        { 'Final-Recipient': 'rfc822; d@example.net', Action: 'delayed', Status: '5.0.0' },
        { 'Final-Recipient': 'rfc822; e@example.net', Action: 'delivered', Status: '2.0.0' },
        { 'Final-Recipient': 'rfc822; f@example.net', Action: 'relayed', Status: '2.0.0' },
      ];
      const b = await mustBounce(report([PER_MESSAGE, ...blocks.map(recipientBlock)].join('\r\n\r\n')));
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.permanent]),
        [
          ['a@example.net', true],
          ['b@example.net', true],
          ['c@example.net', false],
          ['d@example.net', false],
          ['e@example.net', false],
          ['f@example.net', false],
        ],
      );
    });
  });

  describe('parseBounce: the common non-standard notices', () => {
    it('reads Exim\'s "The following address(es) failed:" list and not the returned copy below it', async () => {
      const b = await mustBounce(fixture('exim-text-only.eml'));
      assert.equal(b.kind, 'heuristic');
      assert.equal(b.verpToken, TOKEN);
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.action, r.permanent]),
        [
          ['carol@partner.example', '5.2.1', 'failed', true],
          ['dave@partner.example', null, 'failed', true],
        ],
      );
      assert.match(
        b.recipients[0]!.diagnostic!,
        /^host mailstore\.partner\.example .* 550 5\.2\.1 <carol@partner\.example>: Mailbox disabled/,
      );
      assert.equal(b.recipients[1]!.diagnostic, 'Unrouteable address');
    });

    it("takes Exim's delay warning as delayed and not permanent", async () => {
      const b = await mustBounce(fixture('exim-delayed.eml'));
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.action, r.permanent]),
        [['erin@partner.example', '4.7.1', 'delayed', false]],
      );
    });

    it('reads Postfix\'s "<address>: reason" lines, also one "expanded from" an alias', async () => {
      const b = await mustBounce(fixture('postfix-text-only.eml'));
      assert.equal(b.kind, 'heuristic');
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.permanent]),
        [
          ['nobody@example.net', '5.1.1', true],
          ['gone@example.net', null, true],
        ],
      );
      assert.match(
        b.recipients[0]!.diagnostic!,
        /^host mx\.example\.net\[192\.0\.2\.25\] said: 550 5\.1\.1 .* \(in reply to RCPT TO command\)$/,
      );
    });

    it('takes Postfix\'s "THIS IS A WARNING ONLY" notice as delayed', async () => {
      const text = fixture('postfix-delayed.eml').toString('latin1');
      const plain = text.slice(
        text.indexOf('This is the mail system'),
        text.indexOf('--4Zk9R7xyzQz.1773149460/mail.example.org\r\nContent-Description: Delivery report'),
      );
      const raw = Buffer.from(
        `From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r\nTo: security-bounces+${TOKEN}@lists.example.org\r\nSubject: Delayed Mail (still being retried)\r\n\r\n${plain}`,
        'latin1',
      );
      const b = await mustBounce(raw);
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.action, r.permanent]),
        [['slow@example.com', 'delayed', false]],
      );
    });

    it('reads qmail\'s "<address>:" paragraphs and not the copy below "Below this line"', async () => {
      const b = await mustBounce(fixture('qmail.eml'));
      assert.equal(b.kind, 'heuristic');
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.permanent]),
        [
          ['frank@oldhost.example', '5.1.1', true],
          ['grace@elsewhere.example', '5.7.1', true],
        ],
      );
      assert.ok(!b.recipients.some((r) => r.address === 'decoy@attacker.example'));
    });

    it('reads Gmail\'s "Address not found" notice when it comes without a status part', async () => {
      const raw = fixture('gmail.eml', (t) =>
        t.replace(
          /--000000000000f1e2d3c4b5a69788\r\nContent-Type: message\/delivery-status[\s\S]*?(?=--000000000000f1e2d3c4b5a69788\r\n)/,
          '',
        ),
      );
      assert.ok(!raw.toString('latin1').includes('message/delivery-status'));
      const b = await mustBounce(raw);
      assert.equal(b.kind, 'heuristic');
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.action, r.permanent]),
        [['heidi.example@gmail.com', 'failed', true]],
      );
      assert.match(b.recipients[0]!.diagnostic!, /^The email account that you tried to reach does not exist/);
    });

    it('reads Gmail\'s older "Delivery to the following recipient failed permanently" notice', async () => {
      const raw = Buffer.from(
        [
          'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
          `To: security-bounces+${TOKEN}@lists.example.org`,
          'Subject: Delivery Status Notification (Failure)',
          '',
          'Delivery to the following recipient failed permanently:',
          '',
          '     nobody@example.net',
          '',
          'Technical details of permanent failure:',
          'Google tried to deliver your message, but it was rejected by the server for the recipient domain example.net.',
          '',
          'The error that the other server returned was:',
          '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown',
          '',
        ].join('\r\n'),
      );
      const b = await mustBounce(raw);
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.permanent]),
        [['nobody@example.net', '5.1.1', true]],
      );
    });

    it('takes Gmail\'s "Delivery incomplete" notice as delayed', async () => {
      const raw = Buffer.from(
        [
          'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
          `To: security-bounces+${TOKEN}@lists.example.org`,
          'Subject: Delivery Status Notification (Delay)',
          '',
          '** Delivery incomplete **',
          '',
          "There was a temporary problem delivering your message to slow@example.com. Gmail will retry for 46 more hours. You'll be notified if the delivery fails permanently.",
          '',
          'The response was:',
          '',
          '451 4.3.0 Mail server temporarily rejected message.',
          '',
        ].join('\r\n'),
      );
      const b = await mustBounce(raw);
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.action, r.permanent]),
        [['slow@example.com', '4.3.0', 'delayed', false]],
      );
    });

    it('reads an Exchange "Undeliverable:" report with the codes from its administrators\' section', async () => {
      const b = await mustBounce(fixture('exchange-ndr.eml'));
      assert.equal(b.kind, 'heuristic');
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.permanent]),
        [
          ['ivan@corp.example', '5.1.1', true],
          ['judy@corp.example', '5.2.2', true],
        ],
      );
      assert.match(b.recipients[0]!.diagnostic!, /^550 5\.1\.1 RESOLVER\.ADR\.RecipNotFound; not found/);
    });

    it('reads Exchange Online\'s "Your message to ... couldn\'t be delivered" with "Remote Server returned"', async () => {
      const raw = Buffer.from(
        [
          'From: postmaster@corp.example',
          `To: security-bounces+${TOKEN}@lists.example.org`,
          'Subject: Undeliverable: [Example Security] [#12] Heap overflow',
          '',
          "Your message to ivan@corp.example couldn't be delivered.",
          "ivan wasn't found at corp.example.",
          '',
          'Diagnostic information for administrators:',
          '',
          'Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
          '',
          'ivan@corp.example',
          "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'",
          '',
          'Original message headers:',
          'From: decoy@attacker.example',
          '',
        ].join('\r\n'),
      );
      const b = await mustBounce(raw);
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.status, r.permanent]),
        [['ivan@corp.example', '5.1.10', true]],
      );
    });

    it('falls back to X-Failed-Recipients when a machine writes in words it does not know', async () => {
      const raw = Buffer.from(
        [
          'Return-Path: <>',
          'From: Mail Delivery System <Mailer-Daemon@mx.partner.example>',
          `To: security-bounces+${TOKEN}@lists.example.org`,
          'X-Failed-Recipients: Carol@Partner.example, not-an-address',
          'Subject: Mail delivery failed',
          '',
          'Die Nachricht konnte nicht zugestellt werden.',
          '',
        ].join('\r\n'),
      );
      const b = await mustBounce(raw);
      assert.deepEqual(
        b.recipients.map((r) => [r.address, r.permanent]),
        [['carol@partner.example', true]],
      );
    });
  });

  describe('parseBounce: what is not a bounce', () => {
    it('returns null for an out-of-office reply, even one with an "<address>:" line and "could not be delivered"', async () => {
      assert.equal(await bounceOf(fixture('out-of-office.eml')), null);
    });

    it("returns null for a member's post that quotes a Postfix and an Exim bounce", async () => {
      assert.equal(await bounceOf(fixture('normal.eml')), null);
    });

    it("returns null for a mailer daemon's notice that names no recipient", async () => {
      const raw = Buffer.from(
        'From: MAILER-DAEMON@mail.example.org\r\nTo: security@lists.example.org\r\nSubject: Undeliverable: hello\r\n\r\nThis message was created automatically by mail delivery software.\r\nSomething happened.\r\n',
      );
      assert.equal(await bounceOf(raw), null);
    });

    it("returns null for a member's mail with a status part attached outside any multipart/report", async () => {
      const raw = Buffer.from(
        [
          'From: Bob Member <bob@member.example>',
          'To: security@lists.example.org',
          'Subject: look at this',
          'Content-Type: multipart/mixed; boundary="MX"',
          '',
          '--MX',
          'Content-Type: text/plain',
          '',
          'Odd report below.',
          '--MX',
          'Content-Type: message/delivery-status',
          '',
          PER_MESSAGE,
          recipientBlock({ 'Final-Recipient': 'rfc822; alice@vendor.example', Action: 'failed', Status: '5.1.1' }),
          '--MX--',
          '',
        ].join('\r\n'),
      );
      assert.equal(await bounceOf(raw), null);
    });

    it('returns null for a bounce forwarded inside a message/rfc822 attachment', async () => {
      const inner = fixture('postfix-dsn.eml').toString('latin1');
      const raw = Buffer.from(
        [
          'From: Bob Member <bob@member.example>',
          'To: security@lists.example.org',
          'Subject: Fwd: Undelivered Mail Returned to Sender',
          'Content-Type: multipart/mixed; boundary="FW"',
          '',
          '--FW',
          'Content-Type: text/plain',
          '',
          'Why did this bounce?',
          '--FW',
          'Content-Type: message/rfc822',
          '',
          inner,
          '--FW--',
          '',
        ].join('\r\n'),
        'latin1',
      );
      assert.equal(await bounceOf(raw), null);
    });
  });

  describe('parseBounce: hostile reports', () => {
    it('reads every recipient of a report that names 50', async () => {
      const blocks = Array.from({ length: 50 }, (_, i) =>
        recipientBlock({ 'Final-Recipient': `rfc822; user${i}@example.net`, Action: 'failed', Status: '5.1.1' }),
      );
      const b = await mustBounce(report([PER_MESSAGE, ...blocks].join('\r\n\r\n')));
      assert.equal(b.recipients.length, 50);
      assert.equal(b.recipients[49]!.address, 'user49@example.net');
      assert.ok(b.recipients.every((r) => r.permanent));
    });

    it(`stops reading a report at ${MAX_RECIPIENTS} recipients`, async () => {
      const blocks = Array.from({ length: 5000 }, (_, i) =>
        recipientBlock({ 'Final-Recipient': `rfc822; user${i}@example.net`, Action: 'failed', Status: '5.1.1' }),
      );
      const b = await mustBounce(report([PER_MESSAGE, ...blocks].join('\r\n\r\n')));
      assert.equal(b.recipients.length, MAX_RECIPIENTS);
    });

    it('keeps a recipient with garbage fields but reads no status, action or permanence into it', async () => {
      const part = [
        PER_MESSAGE,
        recipientBlock({
          'Final-Recipient': 'rfc822; nobody@example.net',
          Action: 'explode now',
          Status: '5.banana.1',
          'Diagnostic-Code': '\u0001\u0002',
        }),
      ].join('\r\n');
      const b = await mustBounce(report(part));
      assert.deepEqual(b.recipients, [
        { address: 'nobody@example.net', status: null, action: null, diagnostic: null, permanent: false },
      ]);
    });

    it('returns a report with no recipients when its status part is binary junk, keeping the VERP token', async () => {
      const junk = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256)).toString('latin1');
      const raw = Buffer.from(report('PLACEHOLDER').toString('latin1').replace('PLACEHOLDER', junk), 'latin1');
      const b = await mustBounce(raw);
      assert.equal(b.kind, 'dsn');
      assert.ok(b.recipients.every((r) => r.address === null || /^[^\s]+@[^\s]+$/.test(r.address)));
      assert.equal(b.verpToken, TOKEN);
    });

    it('reads a Final-Recipient that is not an address as no address', async () => {
      const part = [
        PER_MESSAGE,
        recipientBlock({ 'Final-Recipient': 'rfc822; <script>alert(1)</script>', Action: 'failed', Status: '5.1.1' }),
      ].join('\r\n');
      const b = await mustBounce(report(part));
      assert.equal(b.recipients[0]!.address, null);
      assert.equal(b.recipients[0]!.permanent, true);
    });

    it('gives a Diagnostic-Code with CR, LF and other controls back as one clean line, bounded', async () => {
      const part = [
        PER_MESSAGE,
        'Final-Recipient: rfc822; nobody@example.net',
        'Action: failed',
        'Status: 5.1.1',
        `Diagnostic-Code: smtp; 550 5.1.1 unknown\rBcc: victim@example.com\u0000\u001b[31m ${'x'.repeat(2000)}`,
        'Bcc: injected@example.com',
      ].join('\r\n');
      const b = await mustBounce(report(part));
      const diagnostic = b.recipients[0]!.diagnostic!;
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(diagnostic, /[\u0000-\u001f\u007f]/);
      assert.ok(diagnostic.startsWith('smtp; 550 5.1.1 unknown Bcc: victim@example.com'));
      assert.ok(diagnostic.length <= 500);
      assert.equal(b.recipients.length, 1);
    });

    it("parses a report that claims to come from a member: authenticating it is the caller's concern", async () => {
      const raw = fixture('postfix-dsn.eml', (t) =>
        t
          .replace('Return-Path: <>', 'Return-Path: <alice@vendor.example>')
          .replace(
            'From: MAILER-DAEMON@mail.example.org (Mail Delivery System)',
            'From: Alice Reporter <alice@vendor.example>',
          ),
      );
      const b = await mustBounce(raw);
      assert.equal(b.kind, 'dsn');
      assert.equal(b.recipients[0]!.address, 'nobody@example.net');
    });

    it('reads a report whose closing boundary is missing', async () => {
      const raw = Buffer.from(
        report(
          [
            PER_MESSAGE,
            recipientBlock({ 'Final-Recipient': 'rfc822; nobody@example.net', Action: 'failed', Status: '5.1.1' }),
          ].join('\r\n'),
        )
          .toString('latin1')
          .replace('--RB--', ''),
        'latin1',
      );
      const b = await mustBounce(raw);
      assert.equal(b.recipients[0]!.address, 'nobody@example.net');
    });

    it('gives up on multiparts nested a thousand deep without throwing', async () => {
      let body = 'Final-Recipient: rfc822; nobody@example.net\r\nAction: failed\r\n';
      for (let i = 0; i < 1000; i += 1)
        body = `Content-Type: multipart/report; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--`;
      const raw = Buffer.from(
        `From: Bob Member <bob@member.example>\r\nTo: security@lists.example.org\r\nSubject: deep\r\n${body}\r\n`,
      );
      assert.equal(
        parseBounce({
          headers: new Map([['from', ['Bob Member <bob@member.example>']]]),
          text: '',
          parts: await mimeParts(raw),
          to: [],
        }),
        null,
      );
    });
  });

  describe('VERP', () => {
    it('puts the token after a plus in the bounce address', () => {
      assert.equal(
        verpAddress('security-bounces@lists.example.org', 'm7f3k2q9'),
        'security-bounces+m7f3k2q9@lists.example.org',
      );
    });

    it("reads the token back, whatever the case of the list's part of the address", () => {
      assert.equal(verpTokenOf(BOUNCE_ADDRESS, 'security-bounces+m7f3k2q9@lists.example.org'), 'm7f3k2q9');
      assert.equal(verpTokenOf(BOUNCE_ADDRESS, '<Security-Bounces+m7f3k2q9@LISTS.example.org>'), 'm7f3k2q9');
      assert.equal(
        verpTokenOf(BOUNCE_ADDRESS, verpAddress(BOUNCE_ADDRESS, 'bob=member.example')),
        'bob=member.example',
      );
    });

    it('reads no token from the plain bounce address, another list, another domain or a token of bad characters', () => {
      assert.equal(verpTokenOf(BOUNCE_ADDRESS, BOUNCE_ADDRESS), null);
      assert.equal(verpTokenOf(BOUNCE_ADDRESS, 'security-bounces+@lists.example.org'), null);
      assert.equal(verpTokenOf(BOUNCE_ADDRESS, 'security+m7f3k2q9@lists.example.org'), null);
      assert.equal(verpTokenOf(BOUNCE_ADDRESS, 'security-bouncesx+m7f3k2q9@lists.example.org'), null);
      assert.equal(verpTokenOf(BOUNCE_ADDRESS, 'security-bounces+m7f3k2q9@lists.example.org.attacker.example'), null);
      assert.equal(verpTokenOf(BOUNCE_ADDRESS, 'security-bounces+a"b@lists.example.org'), null);
      assert.equal(verpTokenOf('not an address', 'security-bounces+m7f3k2q9@lists.example.org'), null);
    });

    it('refuses a token with characters an address cannot carry plainly, and a local part over 64 characters', () => {
      assert.throws(() => verpAddress(BOUNCE_ADDRESS, 'a b'), RangeError);
      assert.throws(() => verpAddress(BOUNCE_ADDRESS, 'a\r\nBcc: x'), RangeError);
      assert.throws(() => verpAddress(BOUNCE_ADDRESS, ''), RangeError);
      assert.throws(() => verpAddress(BOUNCE_ADDRESS, 'x'.repeat(60)), RangeError);
      assert.throws(() => verpAddress('list-bounces', 'abc'), RangeError);
    });

    it('takes the token from the envelope recipient the delivering host recorded, before To', async () => {
      const raw = fixture('postfix-dsn.eml', (t) =>
        t
          .replace(
            'Delivered-To: security-bounces+m7f3k2q9@lists.example.org',
            'Delivered-To: security-bounces+envelope1@lists.example.org',
          )
          .replace(
            'To: security-bounces+m7f3k2q9@lists.example.org',
            'To: security-bounces+header22@lists.example.org',
          ),
      );
      assert.equal((await mustBounce(raw)).verpToken, 'envelope1');
    });

    it('takes no token from a plus address of another list when it knows the bounce address, and any plus detail when it does not', async () => {
      const raw = fixture('postfix-dsn.eml', (t) => t.replace(/security-bounces\+m7f3k2q9/g, 'other-bounces+m7f3k2q9'));
      assert.equal((await mustBounce(raw)).verpToken, null);
      const b = parseBounce(await inputOf(raw, null));
      assert.equal(b?.verpToken, 'm7f3k2q9');
    });

    it('has no token when the bounce came to the plain bounce address', async () => {
      const raw = fixture('postfix-dsn.eml', (t) => t.replace(/security-bounces\+m7f3k2q9/g, 'security-bounces'));
      assert.equal((await mustBounce(raw)).verpToken, null);
    });
  });
});
