/**
 * Per-recipient encryption of thread mail end to end (issue 12), with GnuPG as the members' real
 * client: over Dovecot and the SMTP peer, a moderator's disclosure reaches the member with a key
 * (added with `members key add`) encrypted, and gpg in that member's home decrypts it; the others
 * get it in the clear, signed by the list's key, which gpg verifies with `key export`'s output.
 * With policy.encryption required, members without a key get only the notice, and the moderators
 * are told who.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { GpgHome } from '../helpers/gpg';
import { waitUntil } from '../helpers/wait';
import { appendRaw } from './harness/imap';
import type { Received } from './harness/smtp-peer';
import { authenticatedMessage } from './helpers/authenticated';
import { LIST, MODERATOR, MODERATOR_2, query, runCli } from './helpers/daemon';
import { useListFixture } from './helpers/list-fixture';

const KEYED = { address: 'psirt@alpha.test.example', org: 'Alpha' };
const BETA = { address: 'security@beta.test.example', org: 'Beta' };
const GAMMA = { address: 'secure@gamma.test.example', org: 'Gamma' };
const MEMBERS = [KEYED, BETA, GAMMA];

const SUBJECT = 'CVE-2026-4242: frobd trusts the hello length';
const SECRET_LINE = 'The frobd hello parser copies len bytes into a 64-byte stack buffer.';

function isoIn(ms: number): string {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The two parts of a multipart/signed message as they were signed: the first part's exact bytes, the armored signature. */
function signedParts(raw: Buffer): { data: Buffer; signature: string } {
  const text = raw.toString('latin1');
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(text.split('\r\n\r\n')[0]!)?.[1];
  assert.ok(boundary, 'a multipart/signed boundary');
  const delimiter = `\r\n--${boundary}`;
  const first = text.indexOf(`--${boundary}\r\n`);
  const start = first + `--${boundary}\r\n`.length;
  const end = text.indexOf(delimiter, start);
  const second = text.slice(end + delimiter.length + 2, text.indexOf(`${delimiter}--`, end + 1));
  const signature = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/.exec(second)?.[0];
  assert.ok(signature, 'an armored signature in the second part');
  return { data: Buffer.from(text.slice(start, end), 'latin1'), signature };
}

describe('integration: OpenPGP encryption of thread mail (Dovecot + SMTP peer + GnuPG)', function () {
  this.timeout(180_000);
  const f = useListFixture({ users: 4, userPrefix: 'pgpout', members: MEMBERS });
  let member: GpgHome;

  before(function () {
    this.timeout(60_000);
    member = new GpgHome().generate(`Alpha PSIRT <${KEYED.address}>`);
  });
  after(() => member?.cleanup());

  const subjectOf = (m: Received) => m.headers.get('subject')?.[0] ?? '';
  const receivedBy = (address: string) => f.smtp.received.filter((m) => m.rcptTo.includes(address));

  /** The list with openpgp.enabled and `encryption`, the keyed member's key added; the daemon started; the list's public key. */
  async function startList(encryption: 'opportunistic' | 'required'): Promise<string> {
    await f.start({ config: { policy: `encryption: ${encryption}` }, daemon: false });
    fs.appendFileSync(f.setup.configFile, 'openpgp: { enabled: true }\n');
    const keyFile = member.file(member.publicKey());
    const added = await runCli(['--config', f.setup.configFile, 'members', 'key', 'add', KEYED.address, keyFile]);
    assert.equal(added.code, 0, added.stderr);
    const daemon = f.startDaemon();
    await daemon.waitForLog(/^STARTED /, 60_000);
    const exported = await runCli(['--config', f.setup.configFile, 'key', 'export']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /BEGIN PGP PUBLIC KEY BLOCK/);
    return exported.stdout;
  }

  async function disclose(): Promise<void> {
    await appendRaw(
      f.dovecot,
      'INBOX',
      authenticatedMessage({
        from: MODERATOR,
        to: LIST,
        subject: SUBJECT,
        body: `Embargo: ${isoIn(7 * 86_400_000)}\n\n${SECRET_LINE}\n`,
      }),
      f.account(),
    );
  }

  it('opportunistic: the keyed member gets it encrypted (gpg decrypts it to the text, the Subject is not outside), the others in the clear, signed by the list key', async () => {
    const listPublic = await startList('opportunistic');
    await disclose();
    for (const m of MEMBERS) await f.smtp.waitFor((r) => r.some((x) => x.rcptTo.includes(m.address)));

    // The keyed member: PGP/MIME, nothing of the disclosure outside, gpg decrypts it.
    const encrypted = receivedBy(KEYED.address);
    assert.equal(encrypted.length, 1);
    const raw = encrypted[0]!.raw;
    const outer = raw.toString('latin1').split('\r\n\r\n')[0]!;
    assert.match(outer, /Content-Type: multipart\/encrypted;/i);
    assert.ok(!outer.includes('CVE-2026-4242') && !outer.includes('frobd'), `no Subject outside: ${outer}`);
    assert.equal(subjectOf(encrypted[0]!), '...');
    assert.ok(!raw.toString('latin1').includes(SECRET_LINE), 'the text is not in the clear');
    member.importKey(listPublic);
    const decrypted = member.decryptMail(raw);
    assert.ok(decrypted, 'an armored OpenPGP message');
    assert.equal(decrypted.status, 0, decrypted.stderr);
    const plain = decrypted.stdout.toString('utf8');
    assert.ok(plain.includes(SECRET_LINE), `gpg decrypts it to the moderator's text: ${plain}`);
    assert.match(plain, /Subject: \[EMBARGOED until .*\] \[#1\] CVE-2026-4242/);
    assert.match(plain, /This copy was encrypted to your OpenPGP key/);
    assert.match(decrypted.stderr, /\[GNUPG:\] GOODSIG/, 'signed inside by the list key');

    // The others: in the clear, multipart/signed, gpg verifies the list's signature.
    const verifier = new GpgHome();
    try {
      verifier.importKey(listPublic);
      for (const m of [BETA, GAMMA]) {
        const got = receivedBy(m.address);
        assert.equal(got.length, 1);
        const copy = got[0]!.raw;
        assert.match(subjectOf(got[0]!), /\[#1\] CVE-2026-4242/);
        assert.match(copy.toString('latin1').split('\r\n\r\n')[0]!, /multipart\/signed/i);
        assert.ok(copy.toString('utf8').includes('This copy was sent unencrypted'));
        const { data, signature } = signedParts(copy);
        const verified = verifier.run(['--status-fd', '2', '--verify', verifier.file(signature), verifier.file(data)]);
        assert.equal(verified.status, 0, verified.stderr);
        assert.match(verified.stderr, /\[GNUPG:\] GOODSIG/);
        assert.ok(data.toString('latin1').includes('frobd hello parser'), 'the signed part carries the text');
      }
    } finally {
      verifier.cleanup();
    }
    const rows = query<{ recipient: string; encrypt_to: string | null }>(
      f.setup,
      "SELECT recipient, encrypt_to FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE m.purpose = 'relay'",
    );
    assert.equal(rows.find((r) => r.recipient === KEYED.address)?.encrypt_to, member.fingerprint);
  });

  it('required: the unkeyed members get only the notice (no byte of the text), the keyed one the disclosure, and the moderators are told who', async () => {
    await startList('required');
    await disclose();
    await f.smtp.waitFor((r) => r.some((x) => x.rcptTo.includes(KEYED.address)));
    for (const m of [BETA, GAMMA])
      await f.smtp.waitFor((r) =>
        r.some((x) => x.rcptTo.includes(m.address) && /your copy needs an OpenPGP key/.test(subjectOf(x))),
      );
    for (const mod of [MODERATOR, MODERATOR_2])
      await f.smtp.waitFor((r) =>
        r.some((x) => x.rcptTo.includes(mod) && /got only the key-required notice/.test(subjectOf(x))),
      );
    // Nothing else is on its way to them: the outbox has nothing pending.
    await waitUntil(
      () =>
        query<{ n: number }>(f.setup, "SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'sending')")[0]!
          .n === 0,
      { what: 'the outbox drained' },
    );

    for (const m of [BETA, GAMMA]) {
      const got = receivedBy(m.address);
      assert.equal(got.length, 1, `${m.address} got one mail`);
      const bytes = got[0]!.raw.toString('latin1');
      assert.ok(
        !bytes.includes('frobd') && !bytes.includes('CVE-2026-4242'),
        'nothing of the disclosure text or subject',
      );
      assert.match(bytes, /disclosure #1/);
    }
    assert.match(receivedBy(KEYED.address)[0]!.raw.toString('latin1'), /multipart\/encrypted/);
    const told = receivedBy(MODERATOR).find((x) => /got only the key-required notice/.test(subjectOf(x)))!;
    const text = told.raw.toString('utf8');
    assert.ok(text.includes(BETA.address) && text.includes(GAMMA.address));
    assert.ok(!text.includes(KEYED.address));
  });
});
