/**
 * Sender authentication against a real receiving host: every Authentication-Results field here
 * was stamped by Postfix + OpenDKIM + OpenDMARC (test/integration/harness/receiving-host.ts),
 * none was written by the test. Each message goes through the host, and the delivered bytes go
 * to the daemon's judge, in both host modes: Debian's default OpenDKIM (RemoveARAll no, which
 * keeps a forged field without a dkim result, and OpenDMARC then believes it) and a hardened
 * one (RemoveARAll yes). Only a message signed by, and aligned with, the From domain is
 * authenticated; every forgery and every tampered message is not, whatever the host was
 * fooled into writing.
 *
 * Needs root and the Debian packages .ci/run installs; without them the hooks FAIL and say why.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { headerValue, splitMessage } from '../../src/message/headers';
import { authenticateSender, judgeAuthenticationResults, type RawHeaderField } from '../../src/policy/sender-auth';
import { makeMessage } from '../helpers/mail-factory';
import { runCli } from './helpers/daemon';
import { startReceivingHost, type Delivered, type ReceivingHost } from './harness/receiving-host';

const PROJECT = 'project.example.org';
const ATTACKER = 'attacker.example.net';
const FROM = `alice@${PROJECT}`;
const RCPT = 'list@lists.example.net';

/** A key no DNS record knows: signatures made with it fail verification. */
const ROGUE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

const plain = (subject: string, extraHeaders: Record<string, string> = {}): Buffer =>
  makeMessage({
    from: `Alice <${FROM}>`,
    to: RCPT,
    subject,
    body: 'Hello list, this is the original body.\n',
    headers: extraHeaders,
  });
const prepend = (lines: string, raw: Buffer): Buffer => Buffer.concat([Buffer.from(lines), raw]);

/** The Authentication-Results fields above the host's Received, unfolded, whitespace squeezed. */
function topBlock(headers: RawHeaderField[]): string[] {
  const firstReceived = headers.findIndex((h) => h.name.toLowerCase() === 'received');
  return headers
    .slice(0, firstReceived < 0 ? headers.length : firstReceived)
    .filter((h) => h.name.toLowerCase() === 'authentication-results')
    .map((h) => h.value.replace(/\s+/g, ' '));
}
const below = (headers: RawHeaderField[]): string[] => {
  const firstReceived = headers.findIndex((h) => h.name.toLowerCase() === 'received');
  return headers
    .slice(firstReceived + 1)
    .filter((h) => h.name.toLowerCase() === 'authentication-results')
    .map((h) => h.value.replace(/\s+/g, ' '));
};

interface Case {
  /** Completes "the judge ... when". */
  what: string;
  make(host: ReceivingHost): Promise<Buffer>;
  authenticated: boolean;
  /** What the host must have stamped for the case to test what it says (per mode). */
  stamped?: { default?: RegExp[]; hardened?: RegExp[]; both?: RegExp[] };
  /** Forged fields that must (true) or must not (false) survive below the host's Received. */
  forgedKept?: { default: boolean; hardened: boolean };
}

const CASES: Case[] = [
  {
    what: 'the message is signed correctly by the From domain',
    make: (h) => h.sign(plain('a: signed')),
    authenticated: true,
    stamped: {
      both: [/dkim=pass [^;]*header\.d=project\.example\.org/, /dmarc=pass [^;]*header\.from=project\.example\.org/],
    },
  },
  {
    what: 'the body was altered after signing',
    make: async (h) =>
      Buffer.from(
        (await h.sign(plain('b: altered'))).toString('latin1').replace('original body', 'ALTERED body'),
        'latin1',
      ),
    authenticated: false,
    stamped: { both: [/dkim=fail [^;]*header\.d=project\.example\.org/, /dmarc=fail/] },
  },
  {
    what: 'an unsigned message carries a forged "<authserv-id>; dkim=pass; dmarc=pass"',
    make: async (h) =>
      prepend(`Authentication-Results: ${h.authservId}; dkim=pass; dmarc=pass\r\n`, plain('c: forged dkim+dmarc')),
    authenticated: false,
    stamped: { both: [/dkim=none/, /dmarc=fail/] },
    forgedKept: { default: false, hardened: false },
  },
  {
    what: 'an unsigned message carries a forged "<authserv-id>; dkim=pass header.d=<From domain> header.s=sel1"',
    make: async (h) =>
      prepend(
        `Authentication-Results: ${h.authservId}; dkim=pass header.d=${PROJECT} header.s=sel1\r\n`,
        plain('d: forged dkim header.d'),
      ),
    authenticated: false,
    stamped: { both: [/dkim=none/, /dmarc=fail/] },
    forgedKept: { default: false, hardened: false },
  },
  {
    // The default host is fooled: OpenDMARC believes the forged spf=pass and stamps a genuine
    // dmarc=pass on top. Only "no DMARC pass without an aligned DKIM pass" refuses it.
    what: 'an unsigned message carries a forged "<authserv-id>; spf=pass smtp.mailfrom=<From domain>" (the default host stamps a genuine dmarc=pass)',
    make: async (h) =>
      prepend(`Authentication-Results: ${h.authservId}; spf=pass smtp.mailfrom=${PROJECT}\r\n`, plain('e: forged spf')),
    authenticated: false,
    stamped: {
      both: [/dkim=none/],
      default: [/dmarc=pass [^;]*header\.from=project\.example\.org/],
      hardened: [/dmarc=fail/],
    },
    forgedKept: { default: true, hardened: false },
  },
  {
    what: 'the forged field is spelt "authentication-results:" in lower case with spf=pass (the default host stamps a genuine dmarc=pass)',
    make: async (h) =>
      prepend(
        `authentication-results: ${h.authservId}; spf=pass smtp.mailfrom=${PROJECT}\r\n`,
        plain('m: lower-case name'),
      ),
    authenticated: false,
    stamped: { default: [/dmarc=pass/], hardened: [/dmarc=fail/] },
    forgedKept: { default: true, hardened: false },
  },
  {
    what: 'the forged spf=pass field quotes the authserv-id ("mx.lists.example.net"), which OpenDKIM does not match but OpenDMARC believes',
    make: async (h) =>
      prepend(
        `Authentication-Results: "${h.authservId}"; spf=pass smtp.mailfrom=${PROJECT}\r\n`,
        plain('q: quoted id'),
      ),
    authenticated: false,
    stamped: { default: [/dmarc=pass/], hardened: [/dmarc=fail/] },
    forgedKept: { default: true, hardened: false },
  },
  {
    what: 'the forged spf=pass field ends the authserv-id with a dot (kept by both hosts, believed by neither)',
    make: async (h) =>
      prepend(
        `Authentication-Results: ${h.authservId}.; spf=pass smtp.mailfrom=${PROJECT}\r\n`,
        plain('p: trailing dot'),
      ),
    authenticated: false,
    stamped: { both: [/dkim=none/, /dmarc=fail/] },
    forgedKept: { default: true, hardened: true },
  },
  {
    what: 'the forged field writes the authserv-id in upper case, with dkim=pass',
    make: async (h) =>
      prepend(
        `Authentication-Results: ${h.authservId.toUpperCase()}; dkim=pass header.d=${PROJECT} header.s=sel1\r\n`,
        plain('k: upper-case id'),
      ),
    authenticated: false,
    stamped: { both: [/dkim=none/, /dmarc=fail/] },
  },
  {
    what: 'the forged field carries a version after the authserv-id ("<id> 1; dkim=pass ...")',
    make: async (h) =>
      prepend(
        `Authentication-Results: ${h.authservId} 1; dkim=pass header.d=${PROJECT} header.s=sel1\r\n`,
        plain('l: versioned id'),
      ),
    authenticated: false,
    stamped: { both: [/dkim=none/, /dmarc=fail/] },
  },
  {
    what: 'the forged field says only "dmarc=pass header.from=<From domain>"',
    make: async (h) =>
      prepend(
        `Authentication-Results: ${h.authservId}; dmarc=pass header.from=${PROJECT}\r\n`,
        plain('g: forged dmarc'),
      ),
    authenticated: false,
    stamped: { both: [/dkim=none/, /dmarc=fail/] },
    forgedKept: { default: true, hardened: false },
  },
  {
    what: "a forged dkim=pass and dmarc=pass field sits above the sender's own made-up Received fields (one naming our host)",
    make: async (h) =>
      prepend(
        `Authentication-Results: ${h.authservId}; dkim=pass header.d=${PROJECT} header.s=sel1; dmarc=pass header.from=${PROJECT}\r\n` +
          `Received: from mail.${PROJECT} by ${h.authservId} (Postfix) with ESMTP id 4AAAAAAAAA for <${RCPT}>; Mon, 1 Jan 2024 00:00:00 +0000\r\n` +
          `Received: from laptop by mail.${PROJECT}; Mon, 1 Jan 2024 00:00:00 +0000\r\n`,
        plain('f: forged above own Received'),
      ),
    authenticated: false,
    stamped: { both: [/dkim=none/, /dmarc=fail/] },
  },
  {
    what: 'the forged field is written "Authentication-Results :" (space before the colon), with dkim=pass and dmarc=pass',
    make: async (h) =>
      prepend(
        `Authentication-Results : ${h.authservId}; dkim=pass header.d=${PROJECT}; dmarc=pass header.from=${PROJECT}\r\n`,
        plain('n: space before colon'),
      ),
    authenticated: false,
    stamped: { both: [/dkim=none/, /dmarc=fail/] },
  },
  {
    what: 'the message is signed, and passes, by another domain than the From domain (not aligned)',
    make: (h) => h.sign(plain('h: signed by another domain'), { domain: ATTACKER }),
    authenticated: false,
    stamped: { both: [/dkim=pass [^;]*header\.d=attacker\.example\.net/, /dmarc=fail/] },
  },
  {
    what: "the message carries a second From field and a passing signature of the second From's domain",
    make: (h) => h.sign(prepend(`From: eve@${ATTACKER}\r\n`, plain('o: two From')), { domain: ATTACKER }),
    authenticated: false,
    stamped: { both: [/dkim=pass [^;]*header\.d=attacker\.example\.net/] },
  },
  {
    what: 'the signature does not cover the From field (h= without from)',
    make: (h) => h.sign(plain('j: From not signed'), { headerFieldNames: 'To:Subject:Date:Message-ID' }),
    authenticated: false,
    stamped: { both: [/dkim=permerror/, /dmarc=fail/] },
  },
  {
    what: "a good aligned signature travels with a third party's broken one",
    make: (h) => h.sign(plain('i: good + broken third party'), [{}, { domain: ATTACKER, privateKeyPem: ROGUE_KEY }]),
    authenticated: true,
    stamped: {
      both: [
        /dkim=fail [^;]*header\.d=attacker\.example\.net/,
        /dkim=pass [^;]*header\.d=project\.example\.org/,
        /dmarc=pass/,
      ],
    },
  },
  {
    what: 'a good aligned signature travels with a broken one of the same domain (another header.b)',
    make: (h) => h.sign(plain('i2: good + broken own'), [{}, { privateKeyPem: ROGUE_KEY }]),
    authenticated: true,
    stamped: {
      both: [
        /dkim=fail [^;]*header\.d=project\.example\.org/,
        /dkim=pass [^;]*header\.d=project\.example\.org/,
        /dmarc=pass/,
      ],
    },
  },
];

const MODES = [
  { name: 'default' as const, title: "Debian's default host (OpenDKIM RemoveARAll no)", removeArAll: false },
  { name: 'hardened' as const, title: 'a hardened host (OpenDKIM RemoveARAll yes)', removeArAll: true },
];

describe('integration: sender authentication against a real receiving host (Postfix, OpenDKIM, OpenDMARC)', function () {
  this.timeout(60_000);

  for (const mode of MODES) {
    describe(`behind ${mode.title}`, function () {
      let host: ReceivingHost;
      before(async () => {
        host = await startReceivingHost({ removeArAll: mode.removeArAll, domains: [PROJECT, ATTACKER] });
      });
      after(async () => {
        await host?.stop();
      });

      for (const c of CASES) {
        it(`${c.authenticated ? 'authenticates' : 'does not authenticate'} the sender when ${c.what}`, async () => {
          const delivered = await host.deliver(await c.make(host), { from: FROM, to: RCPT });
          const top = topBlock(delivered.headers);
          const show = `top block:\n  ${top.join('\n  ')}\nbelow the host's Received:\n  ${below(delivered.headers).join('\n  ') || '(none)'}`;
          // Comments such as "(2048-bit key; unprotected)" hold semicolons: matched without them.
          const results = top.join('\n').replace(/\([^()]*\)/g, '');
          for (const re of [...(c.stamped?.both ?? []), ...(c.stamped?.[mode.name] ?? [])]) {
            assert.match(results, re, `the host did not stamp what this case is about (${re});\n${show}`);
          }
          if (c.forgedKept) {
            const kept = below(delivered.headers).length > 0;
            assert.equal(
              kept,
              c.forgedKept[mode.name],
              `the forged field was ${kept ? 'kept' : 'removed'} by the host;\n${show}`,
            );
          }
          const judged = judgeAuthenticationResults(delivered.headers, FROM, [host.authservId], {
            maxReceivedAbove: 0,
          });
          assert.equal(judged.authenticated, c.authenticated, `judge: ${judged.decidedBy}\n${show}`);
          // With the daemon's own DKIM check on, over the same DNS data the host used.
          const verified = await authenticateSender(delivered.raw, delivered.headers, FROM, {
            trustedAuthservIds: [host.authservId],
            maxReceivedAbove: 0,
            verify: true,
            resolver: host.resolver,
          });
          assert.equal(verified.authenticated, c.authenticated, `with verifyDkim: ${verified.decidedBy}\n${show}`);
        });
      }

      it("believes nothing when the host's authserv-id is not among the trusted ones, even for a signed message", async () => {
        const delivered = await host.deliver(await host.sign(plain('untrusted id')), { from: FROM, to: RCPT });
        assert.match(topBlock(delivered.headers).join('\n'), /dkim=pass/);
        assert.equal(
          judgeAuthenticationResults(delivered.headers, FROM, ['mx.elsewhere.example'], { maxReceivedAbove: 0 })
            .authenticated,
          false,
        );
      });

      describe("a moderator's APPROVE of a join request, through the host and `embargo-list ingest`", function () {
        let dir: string;
        let config: string;
        let moderation: { messageId: string; subject: string };
        beforeEach(async () => {
          dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-list-auth-chain-'));
          config = path.join(dir, 'config.yaml');
          fs.writeFileSync(config, daemonConfig(dir, host.authservId));
          const request = makeMessage({
            from: `Jane Doe <${APPLICANT}>`,
            to: REQUESTS,
            subject: 'Seven-Corp membership request',
            body: REQUEST_BODY,
          });
          const r = await runCli(['--config', config, 'ingest', '-'], { input: request });
          assert.equal(r.code, 0, r.stderr);
          moderation = findOutbox(dir, MODERATOR, /Join request #1: /);
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        const approve = (): Buffer =>
          makeMessage({
            from: MODERATOR,
            to: REQUESTS,
            subject: `Re: ${moderation.subject}`,
            inReplyTo: moderation.messageId,
            references: [moderation.messageId],
            body: 'APPROVE\n',
          });

        it("approves the request when the reply is signed by the moderator's domain", async () => {
          const delivered = await host.deliver(await host.sign(approve()), { from: MODERATOR, to: REQUESTS });
          await ingest(config, delivered);
          assert.equal(requestState(dir), 'confirming');
          findOutbox(dir, ALIAS, /Confirm subscription of/);
        });

        it("refuses the APPROVE and changes nothing when the reply is unsigned with a forged spf=pass for the moderator's domain", async () => {
          const forged = prepend(
            `Authentication-Results: ${host.authservId}; spf=pass smtp.mailfrom=${PROJECT}\r\n`,
            approve(),
          );
          const delivered = await host.deliver(forged, { from: MODERATOR, to: REQUESTS });
          if (mode.name === 'default')
            assert.match(
              topBlock(delivered.headers).join('\n'),
              /dmarc=pass/,
              'the default host stamps a genuine dmarc=pass here',
            );
          await ingest(config, delivered);
          assert.equal(requestState(dir), 'moderation');
          assert.match(findOutbox(dir, MODERATOR, /Refused a command from/).subject, /Refused a command from/);
          assert.equal(outbox(dir).filter((m) => m.to === ALIAS).length, 0, 'no confirmation went to the alias');
        });
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The daemon, run as an MTA pipe would run it

const LIST = 'sec-announce@lists.example.net';
const REQUESTS = 'sec-announce-requests@lists.example.net';
const MODERATOR = `security-team@${PROJECT}`;
const APPLICANT = 'jane.doe@seven-corp.test.example';
const ALIAS = 'psirt@seven-corp.test.example';
const REQUEST_BODY = `Below is each criterion and why we, Seven-Corp, qualify.

> 1. Have an actively monitored security alias email for our project.

Yes, please subscribe ${ALIAS} to the early disclosure list.

> 2. Be involved in redistributing Istio or have a product with close coupling to Istio.

We ship the "Seven" distribution of Istio and have done so since 2019.

> 3. Have a user base not limited to your own organization.

Thousands of companies outside Seven-Corp run it.

> 4. Be a participant and active contributor in the Istio community.

Three of our engineers are maintainers of Istio components.

> 5. Accept the Embargo Policy that is outlined above.

We accept.
`;

function daemonConfig(dir: string, authservId: string): string {
  return `list:
  name: Auth Chain Test List
  address: ${LIST}
  requestsAddress: ${REQUESTS}
  moderators: [${MODERATOR}]
dataDir: ${dir}/data
inbound: { maildir: ${dir}/inbox }
outbound: { directory: ${dir}/outbox }
# The receiving host's Authentication-Results decide; the daemon's own DKIM check is off.
security: { trustedAuthservIds: [${authservId}], maxReceivedAbove: 0, verifyDkim: false }
log: { format: json }
`;
}

async function ingest(config: string, delivered: Delivered): Promise<void> {
  const r = await runCli(['--config', config, 'ingest', delivered.file]);
  assert.equal(r.code, 0, r.stderr);
}

function requestState(dir: string): string {
  const db = new Database(path.join(dir, 'data', 'embargo-list.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT state FROM requests WHERE id = 1').get() as { state: string }).state;
  } finally {
    db.close();
  }
}

interface OutboxMail {
  to: string;
  subject: string;
  messageId: string;
}

function outbox(dir: string): OutboxMail[] {
  const out = path.join(dir, 'outbox');
  if (!fs.existsSync(out)) return [];
  return fs
    .readdirSync(out)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => {
      const headers = splitMessage(fs.readFileSync(path.join(out, f))).headers;
      const get = (name: string): string => {
        const h = headers.find((x) => x.name.toLowerCase() === name);
        return h ? headerValue(h) : '';
      };
      return { to: get('x-envelope-to').replace(/^<|>$/g, ''), subject: get('subject'), messageId: get('message-id') };
    });
}

function findOutbox(dir: string, to: string, subject: RegExp): OutboxMail {
  const found = outbox(dir).filter((m) => m.to === to && subject.test(m.subject));
  assert.ok(
    found.length > 0,
    `a mail to ${to} with subject ${subject} in the outbox; there are: ${outbox(dir)
      .map((m) => `${m.to}: ${m.subject}`)
      .join('; ')}`,
  );
  return found[found.length - 1]!;
}
