/**
 * OpenPGP on what the list receives, end to end (issue 12), with GnuPG as the moderator's and
 * the member's real client, over Dovecot and the SMTP peer, and no Authentication-Results on
 * anything the moderator sends (only the OpenPGP signature can authenticate it):
 * - a moderator's disclosure encrypted with gpg to the list's exported key and signed with the
 *   key registered by `moderators key add` opens the thread; the keyed member's copy is
 *   re-encrypted to its key (gpg decrypts it to the moderator's text), the others are in the clear
 *   and signed by the list, and the text is in no outer header nor in the daemon's log;
 * - a moderator's gpg-signed APPROVE (the token quoted inside the signed text) approves a join
 *   request; the same APPROVE with its body changed after signing is refused and the request
 *   stays in moderation.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { encryptedMail as encryptedWith, GpgHome, requireGpg, signedMail as signedWith } from '../helpers/gpg';
import { makeMessage, uniqueId } from '../helpers/mail-factory';
import { appendRaw } from './harness/imap';
import type { Received } from './harness/smtp-peer';
import { LIST, MODERATOR, MODERATOR_2, query, REQUESTS, runCli } from './helpers/daemon';
import { ALIAS, APPLICANT, REQUEST_BODY } from './helpers/seven-corp';
import { useListFixture } from './helpers/list-fixture';

const CRLF = '\r\n';
const KEYED = { address: 'psirt@alpha.test.example', org: 'Alpha' };
const BETA = { address: 'security@beta.test.example', org: 'Beta' };
const GAMMA = { address: 'secure@gamma.test.example', org: 'Gamma' };
const MEMBERS = [KEYED, BETA, GAMMA];

const SUBJECT = 'CVE-2026-5151: quuxd trusts the frame count';
const SECRET_LINE = 'The quuxd frame reader allocates count*16 bytes and the multiplication wraps.';

function isoIn(ms: number): string {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The outer header fields a moderator's client writes; no Authentication-Results. */
function outerHeader(o: { from: string; to: string; subject: string; inReplyTo?: string }): string[] {
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: <${uniqueId('pgp-in')}@project.test.example>`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`] : []),
    'MIME-Version: 1.0',
  ];
}

/** A text/plain body part exactly as it is signed. */
function textPart(body: string): string {
  return `Content-Type: text/plain; charset=us-ascii${CRLF}${CRLF}${body.replace(/\r?\n/g, CRLF)}`;
}

const encryptedMail = (o: Parameters<typeof outerHeader>[0], armored: string): Buffer =>
  encryptedWith(outerHeader(o), armored);

const signedMail = (o: Parameters<typeof outerHeader>[0], part: string, signature: string): Buffer =>
  signedWith(outerHeader(o), part, signature);

/** The two parts of a multipart/signed message as they were signed: the first part's exact bytes, the armored signature. */
function signedParts(raw: Buffer): { data: Buffer; signature: string } {
  const text = raw.toString('latin1');
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(text.split('\r\n\r\n')[0]!)?.[1];
  assert.ok(boundary, 'a multipart/signed boundary');
  const delimiter = `\r\n--${boundary}`;
  const start = text.indexOf(`--${boundary}\r\n`) + `--${boundary}\r\n`.length;
  const end = text.indexOf(delimiter, start);
  const second = text.slice(end + delimiter.length + 2, text.indexOf(`${delimiter}--`, end + 1));
  const signature = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/.exec(second)?.[0];
  assert.ok(signature, 'an armored signature in the second part');
  return { data: Buffer.from(text.slice(start, end), 'latin1'), signature };
}

const headerOf = (raw: Buffer): string => raw.toString('latin1').split('\r\n\r\n')[0]!;

describe('integration: OpenPGP on inbound mail (Dovecot + SMTP peer + GnuPG)', function () {
  this.timeout(180_000);
  const f = useListFixture({ users: 4, userPrefix: 'pgpin', members: MEMBERS });
  let moderator: GpgHome;
  let member: GpgHome;

  before(function () {
    this.timeout(60_000);
    requireGpg();
    moderator = new GpgHome().generate(`Security Team <${MODERATOR}>`);
    member = new GpgHome().generate(`Alpha PSIRT <${KEYED.address}>`);
  });
  after(() => {
    moderator?.cleanup();
    member?.cleanup();
  });

  /**
   * What a recipient reads: the moderator's copies are encrypted to its registered key (the outer
   * Subject is "..."), so gpg in the moderator's home decrypts them, as its client would.
   */
  const plainOf = (m: Received): string => {
    const raw = m.raw.toString('utf8');
    if (!m.rcptTo.includes(MODERATOR) || !/multipart\/encrypted/i.test(headerOf(m.raw))) return raw;
    const inner = moderator.decryptMail(m.raw);
    return inner && inner.status === 0 ? inner.stdout.toString('utf8') : raw;
  };
  const subjectOf = (m: Received): string => {
    const outer = m.headers.get('subject')?.[0] ?? '';
    if (!m.rcptTo.includes(MODERATOR) || !/multipart\/encrypted/i.test(headerOf(m.raw))) return outer;
    return /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(plainOf(m))?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? outer;
  };
  const receivedBy = (address: string) => f.smtp.received.filter((m) => m.rcptTo.includes(address));
  const to = (address: string, subject: RegExp) => (r: Received[]) =>
    r.some((m) => m.rcptTo.includes(address) && subject.test(subjectOf(m)));
  const find = (address: string, subject: RegExp): Received => {
    const found = receivedBy(address).filter((m) => subject.test(subjectOf(m)));
    assert.ok(found.length > 0, `a mail to ${address} with subject ${subject}`);
    return found[found.length - 1]!;
  };
  const cli = async (args: string[]): Promise<string> => {
    const r = await runCli(['--config', f.setup.configFile, ...args]);
    assert.equal(r.code, 0, `embargo-list ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  /**
   * The list with openpgp.enabled, opportunistic; the moderator's key registered (`moderators key
   * add`) and the keyed member's (`members key add`); the daemon started; the list's key exported
   * and imported in the moderator's home. Returns the list's public key.
   */
  async function startList(): Promise<string> {
    await f.start({ config: { policy: 'encryption: opportunistic' }, daemon: false });
    fs.appendFileSync(f.setup.configFile, 'openpgp: { enabled: true }\n');
    await cli(['moderators', 'key', 'add', MODERATOR, moderator.file(moderator.publicKey())]);
    await cli(['members', 'key', 'add', KEYED.address, member.file(member.publicKey())]);
    const daemon = f.startDaemon();
    await daemon.waitForLog(/^STARTED /, 60_000);
    const listPublic = await cli(['key', 'export']);
    assert.match(listPublic, /BEGIN PGP PUBLIC KEY BLOCK/);
    moderator.importKey(listPublic);
    return listPublic;
  }

  it("opens a thread from a moderator's gpg-encrypted, signed disclosure (no Authentication-Results): the keyed member gets it re-encrypted, the others in the clear signed by the list", async () => {
    const listPublic = await startList();
    const listFpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(
      moderator.ok(['--with-colons', '--import-options', 'show-only', '--import'], listPublic).stdout.toString(),
    )?.[1];
    assert.ok(listFpr, "the list key's fingerprint");

    // What the moderator's client encrypts: the protected Subject inside (RFC "protected-headers"), "..." outside.
    const inner = [
      'Content-Type: text/plain; charset=us-ascii; protected-headers="v1"',
      `Subject: ${SUBJECT}`,
      '',
      `Embargo: ${isoIn(7 * 86_400_000)}`,
      '',
      SECRET_LINE,
      '',
    ].join(CRLF);
    const armored = moderator
      .ok(['--armor', '--encrypt', '--sign', '-u', moderator.fingerprint, '-r', listFpr], inner)
      .stdout.toString('utf8');
    const raw = encryptedMail({ from: MODERATOR, to: LIST, subject: '...' }, armored);
    assert.ok(!raw.toString('latin1').includes('quuxd'), 'the mail the list receives carries no clear text');
    await appendRaw(f.dovecot, 'INBOX', raw, f.account());

    for (const m of MEMBERS) await f.smtp.waitFor((r) => r.some((x) => x.rcptTo.includes(m.address)), 60_000);

    // The thread is open, from the decrypted subject.
    const threads = query<{ id: number; subject: string }>(f.setup, 'SELECT id, subject FROM disclosures');
    assert.equal(threads.length, 1, JSON.stringify(threads));
    assert.match(threads[0]!.subject, /CVE-2026-5151/);

    // Nothing of the disclosure text in any outer header the list sent, to anyone.
    for (const m of f.smtp.received)
      assert.ok(!headerOf(m.raw).includes('quuxd frame reader'), `no text in an outer header: ${headerOf(m.raw)}`);

    // The keyed member: PGP/MIME, the Subject not outside, gpg in its home decrypts it to the moderator's text.
    const encrypted = receivedBy(KEYED.address);
    assert.equal(encrypted.length, 1, 'one copy for the keyed member');
    const copy = encrypted[0]!.raw;
    assert.match(headerOf(copy), /Content-Type: multipart\/encrypted;/i);
    assert.ok(!headerOf(copy).includes('CVE-2026-5151') && !headerOf(copy).includes('quuxd'), headerOf(copy));
    assert.ok(!copy.toString('latin1').includes(SECRET_LINE), 'the text is not in the clear');
    member.importKey(listPublic);
    const decrypted = member.decryptMail(copy);
    assert.ok(decrypted, 'an armored OpenPGP message');
    assert.equal(decrypted.status, 0, decrypted.stderr);
    const plain = decrypted.stdout.toString('utf8');
    assert.ok(plain.includes(SECRET_LINE), `gpg decrypts it to the moderator's text: ${plain}`);
    assert.match(plain, /Subject: \[EMBARGOED until .*\] \[#1\] CVE-2026-5151/);
    assert.match(decrypted.stderr, /\[GNUPG:\] GOODSIG/, 'signed inside by the list key');

    // The other two: in the clear, multipart/signed, gpg verifies the list's signature over the text.
    const verifier = new GpgHome();
    try {
      verifier.importKey(listPublic);
      for (const m of [BETA, GAMMA]) {
        const got = receivedBy(m.address);
        assert.equal(got.length, 1, `one copy for ${m.address}`);
        assert.match(subjectOf(got[0]!), /\[#1\] CVE-2026-5151/);
        assert.match(headerOf(got[0]!.raw), /multipart\/signed/i);
        const { data, signature } = signedParts(got[0]!.raw);
        const verified = verifier.run(['--status-fd', '2', '--verify', verifier.file(signature), verifier.file(data)]);
        assert.equal(verified.status, 0, verified.stderr);
        assert.match(verified.stderr, /\[GNUPG:\] GOODSIG/);
        assert.ok(data.toString('latin1').includes('quuxd frame reader'), 'the signed part carries the text');
      }
    } finally {
      verifier.cleanup();
    }

    // The moderators' own notice: encrypted to the moderator's registered key (its Subject names
    // the CVE), in the clear to the moderator who registered none.
    await f.smtp.waitFor(to(MODERATOR, /Disclosure #1 opened/), 60_000);
    const opened = find(MODERATOR, /Disclosure #1 opened/);
    assert.match(headerOf(opened.raw), /multipart\/encrypted/i);
    assert.ok(!headerOf(opened.raw).includes('CVE-2026-5151'), headerOf(opened.raw));
    assert.match(subjectOf(find(MODERATOR_2, /Disclosure #1 opened/)), /CVE-2026-5151/);

    // The inbound row keeps the encrypted original; the daemon logged no plaintext.
    const stored = query<{ raw: Buffer }>(f.setup, 'SELECT raw FROM inbound');
    assert.ok(stored.length >= 1);
    for (const s of stored) assert.ok(!Buffer.from(s.raw).toString('latin1').includes(SECRET_LINE));
    const logged = JSON.stringify(f.daemon!.logs);
    assert.ok(!logged.includes('quuxd frame reader'), 'no plaintext in the log');
  });

  describe("a moderator's gpg-signed APPROVE", function () {
    let moderation: Received;

    beforeEach(async () => {
      await startList();
      await appendRaw(
        f.dovecot,
        'INBOX',
        makeMessage({
          from: `Jane Doe <${APPLICANT}>`,
          to: REQUESTS,
          subject: 'Seven-Corp Membership to Early Disclosure Mailing List',
          body: REQUEST_BODY,
        }),
        f.account(),
      );
      await f.smtp.waitFor(to(MODERATOR, /Join request #1: Seven-Corp \(tk-/), 60_000);
      moderation = find(MODERATOR, /Join request #1/);
    });

    /** The reply the moderator's client writes: the keyword, then the quoted mail with its subject (and so its token). */
    const quotedReply = (keyword: string): string =>
      `${keyword}\n\nOn Thursday the list wrote:\n> Subject: ${subjectOf(moderation)}\n> A request to join.\n`;
    const replyHeader = () => ({
      from: MODERATOR,
      to: REQUESTS,
      subject: `Re: ${subjectOf(moderation)}`,
      inReplyTo: moderation.messageId!,
    });
    const sign = (part: string): string =>
      moderator.ok(['--armor', '--detach-sign', '-u', moderator.fingerprint], part).stdout.toString('utf8');
    const requestState = () => query<{ state: string }>(f.setup, 'SELECT state FROM requests WHERE id = 1')[0]!.state;

    it('counts without Authentication-Results: the request is approved and the alias gets the confirmation', async () => {
      assert.match(subjectOf(moderation), /\(tk-[a-z2-7]{26}\)/, 'the token is in the quoted subject');
      const part = textPart(quotedReply('APPROVE'));
      await appendRaw(f.dovecot, 'INBOX', signedMail(replyHeader(), part, sign(part)), f.account());
      await f.smtp.waitFor(to(ALIAS, /Confirm subscription of/), 60_000);
      await f.smtp.waitFor(to(APPLICANT, /approved/), 60_000);
      assert.equal(requestState(), 'confirming');
      const audit = query<{ action: string }>(f.setup, 'SELECT action FROM audit ORDER BY id').map((r) => r.action);
      assert.ok(audit.includes('request.approve'), `audit: ${audit.join(', ')}`);
      assert.ok(!audit.some((a) => a.startsWith('command.refused')), `audit: ${audit.join(', ')}`);
    });

    it('does not count when the body was changed after signing: refused, the moderators told, the request still pending', async () => {
      const part = textPart(quotedReply('APPROVE'));
      const signature = sign(part);
      const tampered = part.replace('A request to join.', 'A request to join, approved by all of us.');
      assert.notEqual(tampered, part);
      await appendRaw(f.dovecot, 'INBOX', signedMail(replyHeader(), tampered, signature), f.account());
      await f.smtp.waitFor(to(MODERATOR, /Refused a command from/), 60_000);
      const refusal = plainOf(find(MODERATOR, /Refused a command from/));
      assert.match(refusal, /BAD_SIGNATURE/, refusal);
      assert.ok(
        f.smtp.received.some((m) => m.rcptTo.includes(MODERATOR_2) && /Refused a command from/.test(subjectOf(m))),
        'every moderator is told',
      );
      assert.equal(requestState(), 'moderation', 'the request is still pending');
      assert.equal(receivedBy(ALIAS).length, 0, 'no confirmation went out');
      assert.ok(!receivedBy(APPLICANT).some((m) => /approved/.test(subjectOf(m))), 'the applicant is not told');
      const audit = query<{ action: string }>(f.setup, 'SELECT action FROM audit ORDER BY id').map((r) => r.action);
      assert.ok(!audit.includes('request.approve'), `audit: ${audit.join(', ')}`);
      assert.ok(
        audit.some((a) => a.startsWith('command.refused')),
        `audit: ${audit.join(', ')}`,
      );
    });
  });
});
