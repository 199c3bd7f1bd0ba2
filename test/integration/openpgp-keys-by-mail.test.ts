/**
 * A member gives the list its OpenPGP key by mail (issue 12, item 1), end to end over Dovecot and
 * the SMTP peer, with GnuPG as the member's real client:
 * - the member mails its public key (gpg --export, attached) to the requests address, authenticated
 *   by its domain's receiving host;
 * - the confirmation the list sends is PGP/MIME encrypted to that key: its token is in no outer
 *   header, and gpg in the member's home decrypts it;
 * - the member's CONFIRM quoting the token makes it the member's key, and the next disclosure
 *   reaches the member encrypted to it (gpg decrypts it to the moderator's text).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { GpgHome, requireGpg } from '../helpers/gpg';
import { makeMessage, uniqueId } from '../helpers/mail-factory';
import { appendRaw } from './harness/imap';
import type { Received } from './harness/smtp-peer';
import { LIST, MODERATOR, query, REQUESTS, runCli, TRUSTED_MX } from './helpers/daemon';
import { useListFixture } from './helpers/list-fixture';

const CRLF = '\r\n';
const MEMBER = { address: 'psirt@alpha.test.example', org: 'Alpha' };
const OTHER = { address: 'security@beta.test.example', org: 'Beta' };
const SECRET_LINE = 'The zorpd parser trusts the length byte of the second record.';

const authResults = (domain: string): string =>
  `Authentication-Results: ${TRUSTED_MX}; dkim=pass header.d=${domain} header.s=sel; dmarc=pass header.from=${domain}`;

function isoIn(ms: number): string {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The member's mail: a short text and its public key attached as application/pgp-keys (RFC 3156 section 7). */
function keyMail(publicKey: string): Buffer {
  const boundary = `k-${uniqueId('b')}`;
  return Buffer.from(
    [
      authResults('alpha.test.example'),
      `From: Alpha PSIRT <${MEMBER.address}>`,
      `To: ${REQUESTS}`,
      'Subject: Our OpenPGP key',
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${uniqueId('key')}@alpha.test.example>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Please encrypt our copies to the attached key.',
      `--${boundary}`,
      'Content-Type: application/pgp-keys',
      'Content-Disposition: attachment; filename="alpha-psirt.asc"',
      '',
      publicKey.trim().replace(/\r?\n/g, CRLF),
      `--${boundary}--`,
      '',
    ].join(CRLF),
    'utf8',
  );
}

const headerOf = (raw: Buffer): string => raw.toString('latin1').split('\r\n\r\n')[0]!;

describe('integration: a member gives its OpenPGP key by mail (Dovecot + SMTP peer + GnuPG)', function () {
  this.timeout(180_000);
  const f = useListFixture({ users: 2, userPrefix: 'pgpkey', members: [MEMBER, OTHER] });
  let member: GpgHome;

  before(function () {
    this.timeout(60_000);
    requireGpg();
    member = new GpgHome().generate(`Alpha PSIRT <${MEMBER.address}>`);
  });
  after(() => member?.cleanup());

  const subjectOf = (m: Received) => m.headers.get('subject')?.[0] ?? '';
  const receivedBy = (address: string) => f.smtp.received.filter((m) => m.rcptTo.includes(address));

  it('the confirmation is encrypted to the key sent; the CONFIRM makes it the key the next disclosure is encrypted to', async () => {
    await f.start({ config: { policy: 'encryption: opportunistic' }, daemon: false });
    fs.appendFileSync(f.setup.configFile, 'openpgp: { enabled: true }\n');
    await f.startDaemon().waitForLog(/^STARTED /, 60_000);
    // The member has the list's published key (embargo-list key export), so gpg checks the list's signature too.
    const exported = await runCli(['--config', f.setup.configFile, 'key', 'export']);
    assert.equal(exported.code, 0, exported.stderr);
    member.importKey(exported.stdout);
    await appendRaw(f.dovecot, 'INBOX', keyMail(member.publicKey()), f.account());
    await f.smtp.waitFor((r) => r.some((m) => m.rcptTo.includes(MEMBER.address)), 60_000);

    // The confirmation: PGP/MIME, no token and no subject outside; gpg in the member's home reads it.
    const [confirm] = receivedBy(MEMBER.address);
    assert.ok(confirm);
    assert.match(headerOf(confirm.raw), /Content-Type: multipart\/encrypted;/i);
    assert.doesNotMatch(headerOf(confirm.raw), /tk-/, 'no token in any outer header');
    assert.doesNotMatch(confirm.raw.toString('latin1'), /tk-[a-z2-7]{26}/, 'no token anywhere in the clear');
    const decrypted = member.decryptMail(confirm.raw);
    assert.ok(decrypted, 'an armored OpenPGP message');
    assert.equal(decrypted.status, 0, decrypted.stderr);
    assert.match(decrypted.stderr, /\[GNUPG:\] GOODSIG/, 'signed inside by the list key');
    const inner = decrypted.stdout.toString('utf8');
    assert.match(inner, /Confirm your OpenPGP key/);
    const token = /tk-([a-z2-7]{26})/.exec(inner)?.[1];
    assert.ok(token, `the token inside: ${inner}`);
    assert.equal(query(f.setup, "SELECT * FROM openpgp_keys WHERE owner_kind = 'member'").length, 0);

    // The member's answer: CONFIRM, the token quoted.
    await appendRaw(
      f.dovecot,
      'INBOX',
      makeMessage({
        from: MEMBER.address,
        to: REQUESTS,
        subject: `Re: ${subjectOf(confirm)}`,
        inReplyTo: confirm.messageId!,
        references: [confirm.messageId!],
        body: `CONFIRM\n\n> To make it the key ... keep this line in your reply:\n>   tk-${token}\n`,
      }),
      f.account(),
    );
    await f.smtp.waitFor(
      (r) =>
        r.some((m) => /New OpenPGP key for psirt@alpha/.test(subjectOf(m))) &&
        r.some((m) => m.rcptTo.includes(MEMBER.address) && /Your OpenPGP key is in use/.test(subjectOf(m))),
      60_000,
    );
    const stored = query<{ fingerprint: string }>(
      f.setup,
      "SELECT fingerprint FROM openpgp_keys WHERE owner_kind = 'member' AND address = ?",
      MEMBER.address,
    );
    assert.deepEqual(stored, [{ fingerprint: member.fingerprint }]);

    // The next disclosure reaches the member encrypted to that key, the other member in the clear.
    const before = f.smtp.received.length;
    await appendRaw(
      f.dovecot,
      'INBOX',
      Buffer.concat([
        Buffer.from(`${authResults('project.test.example')}\r\n`),
        makeMessage({
          from: MODERATOR,
          to: LIST,
          subject: 'CVE-2026-7001: zorpd record length',
          body: `Embargo: ${isoIn(7 * 86_400_000)}\n\n${SECRET_LINE}\n`,
        }),
      ]),
      f.account(),
    );
    await f.smtp.waitFor(
      (r) =>
        r.slice(before).some((m) => m.rcptTo.includes(MEMBER.address)) &&
        r.slice(before).some((m) => m.rcptTo.includes(OTHER.address)),
      60_000,
    );
    const copy = f.smtp.received.slice(before).find((m) => m.rcptTo.includes(MEMBER.address))!;
    assert.match(headerOf(copy.raw), /multipart\/encrypted/i);
    assert.ok(!copy.raw.toString('latin1').includes(SECRET_LINE));
    const plain = member.decryptMail(copy.raw);
    assert.ok(plain, 'an armored OpenPGP message');
    assert.equal(plain.status, 0, plain.stderr);
    assert.ok(plain.stdout.toString('utf8').includes(SECRET_LINE), 'gpg decrypts it to the moderator text');
    const clear = f.smtp.received.slice(before).find((m) => m.rcptTo.includes(OTHER.address))!;
    assert.ok(
      clear.raw.toString('utf8').includes(SECRET_LINE),
      'the member without a key gets it in the clear (opportunistic)',
    );
  });
});
