/**
 * PGP/MIME against GnuPG as the members' real client: gpg decrypts and verifies what the list
 * makes, and what gpg encrypts and signs is read back; then the attacker's variants. Each test
 * has its own GNUPGHOME; the list's key is made by OpenPGP.js once.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { PrivateKey, PublicKey } from 'openpgp' with { 'resolution-mode': 'import' };
import { GpgHome } from '../../helpers/gpg';
import { decryptMime, encryptMime, HIDDEN_SUBJECT, signMime, verifyMime } from '../../../src/openpgp/pgp-mime';
import { freshBoundary, splitMultipart } from '../../../src/openpgp/mime-entity';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const openpgp = require('openpgp') as typeof import('openpgp', { with: { 'resolution-mode': 'import' } });

const MEMBER = 'Sec <security@member.example>';

/** A disclosure as the list composes it: routing fields, a secret Subject, a header to move inside, UTF-8 text. */
function disclosure(eol = '\r\n'): Buffer {
  return Buffer.from(
    [
      'From: Embargo List <list@example.org>',
      'To: security@member.example',
      'Cc: other@member.example',
      'Subject: [embargo] CVE-2031-0001 remote root in frobd',
      'Date: Tue, 01 Apr 2031 10:00:00 +0000',
      'Message-ID: <d1@example.org>',
      'In-Reply-To: <d0@example.org>',
      'References: <d0@example.org>',
      'List-Id: Embargo <embargo.example.org>',
      'X-Embargo-Thread: 42',
      'X-Secret-Hint: frobd',
      'Auto-Submitted: auto-generated',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'The frobd daemon trusts its peers — fix lands on 2031-04-15.',
      '',
    ].join(eol),
    'utf8',
  );
}

/** The parts of a multipart message, found with a plain string split (not the code under test). */
function partsOf(raw: Buffer): { boundary: string; parts: string[] } {
  const text = raw.toString('latin1');
  const boundary = /boundary="([^"]+)"/.exec(text)?.[1];
  assert.ok(boundary, 'a boundary');
  const pieces = text.split(`\r\n--${boundary}`);
  // pieces[0] is header + preamble, the last starts with "--" (close delimiter).
  const parts = pieces.slice(1, -1).map((p) => p.replace(/^\r\n/, ''));
  assert.ok(pieces[pieces.length - 1]?.startsWith('--'), 'a close delimiter');
  return { boundary, parts };
}

/** The entity from its Content-Type field on: the message without its other header fields. */
function fromContentType(raw: Buffer | string): string {
  const text = raw.toString();
  return text.slice(text.indexOf('Content-Type:'));
}

function headerOf(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  return text.slice(0, text.indexOf('\r\n\r\n') + 2);
}

function armoredBlock(text: string, kind: 'MESSAGE' | 'SIGNATURE'): string {
  const m = new RegExp(`-----BEGIN PGP ${kind}-----[\\s\\S]*?-----END PGP ${kind}-----`).exec(text);
  assert.ok(m, `an armored PGP ${kind}`);
  return m[0];
}

/** Wraps an armored OpenPGP message as RFC 3156 multipart/encrypted, as a mail client would. */
function wrapEncrypted(armored: string, boundary = 'enc-b0undary'): Buffer {
  return Buffer.from(
    [
      'From: Sec <security@member.example>',
      'To: list@example.org',
      'Subject: ...',
      'Message-ID: <m1@member.example>',
      'Date: Tue, 01 Apr 2031 11:00:00 +0000',
      'MIME-Version: 1.0',
      `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: application/pgp-encrypted',
      '',
      'Version: 1',
      '',
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="encrypted.asc"',
      '',
      armored.replace(/\r?\n/g, '\r\n').trimEnd(),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/** Wraps a body part and an armored detached signature as RFC 3156 multipart/signed. */
function wrapSigned(signedPart: string, armoredSig: string, boundary = 'sig-b0undary'): string {
  return [
    'From: Sec <security@member.example>',
    'To: list@example.org',
    'Subject: APPROVE 17',
    'MIME-Version: 1.0',
    `Content-Type: multipart/signed; micalg=pgp-sha512; protocol="application/pgp-signature"; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    signedPart,
    `--${boundary}`,
    'Content-Type: application/pgp-signature; name="signature.asc"',
    '',
    armoredSig.replace(/\r?\n/g, '\r\n').trimEnd(),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

const INNER = [
  'Content-Type: text/plain; charset=utf-8; protected-headers="v1"',
  'Subject: CVE-2031-0002 heap overflow in quuxd',
  'From: Sec <security@member.example>',
  'To: list@example.org',
  '',
  'Details for the list only.',
  '',
].join('\r\n');

const SIGNED_PART = ['Content-Type: text/plain; charset=us-ascii', '', 'APPROVE 17', ''].join('\r\n');

describe('openpgp/pgp-mime', function () {
  let listKey: PrivateKey;
  let listPublic: PublicKey;
  let home: GpgHome;
  let memberPublic: PublicKey;
  let memberSecret: PrivateKey;
  const others: GpgHome[] = [];

  before(async function () {
    const made = await openpgp.generateKey({
      userIDs: [{ name: 'Embargo List', email: 'list@example.org' }],
      format: 'object',
    });
    listKey = made.privateKey;
    listPublic = made.publicKey;
  });

  beforeEach(async function () {
    home = new GpgHome().generate(MEMBER);
    home.importKey(listPublic.armor());
    memberPublic = await openpgp.readKey({ armoredKey: home.publicKey() });
    memberSecret = await openpgp.readPrivateKey({ armoredKey: home.secretKey() });
  });

  afterEach(function () {
    home.cleanup();
    for (const o of others.splice(0)) o.cleanup();
  });

  function stranger(): GpgHome {
    const o = new GpgHome().generate('Mallory <mallory@evil.example>');
    others.push(o);
    return o;
  }

  describe('encryptMime', function () {
    it('makes a multipart/encrypted message gpg decrypts to the original text and Subject, signed by the list', async function () {
      const out = await encryptMime(disclosure(), { encryptionKeys: [memberPublic], signingKey: listKey });
      const outer = headerOf(out);
      // Routing and threading fields outside exactly as they were; the Subject hidden; the rest inside.
      for (const line of [
        'From: Embargo List <list@example.org>',
        'To: security@member.example',
        'Cc: other@member.example',
        'Date: Tue, 01 Apr 2031 10:00:00 +0000',
        'Message-ID: <d1@example.org>',
        'In-Reply-To: <d0@example.org>',
        'References: <d0@example.org>',
        'List-Id: Embargo <embargo.example.org>',
        'Auto-Submitted: auto-generated',
        'MIME-Version: 1.0',
        `Subject: ${HIDDEN_SUBJECT}`,
      ]) {
        assert.ok(outer.includes(`${line}\r\n`), `outside: ${line}`);
      }
      assert.ok(!outer.includes('CVE-2031'), 'no secret in the outer header');
      assert.ok(!outer.includes('X-Secret-Hint'), 'other fields moved inside');
      assert.ok(!out.toString('utf8').includes('frobd'), 'no plaintext anywhere');
      assert.match(outer, /Content-Type: multipart\/encrypted; protocol="application\/pgp-encrypted";/);

      const { parts } = partsOf(out);
      assert.equal(parts.length, 2);
      assert.match(parts[0] ?? '', /^Content-Type: application\/pgp-encrypted\r\n[\s\S]*\r\n\r\nVersion: 1\r\n/);
      assert.match(parts[1] ?? '', /^Content-Type: application\/octet-stream/);

      const r = home.run(['--status-fd', '2', '--decrypt'], armoredBlock(out.toString('latin1'), 'MESSAGE'));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`VALIDSIG \\S+ .* ${listPublic.getFingerprint().toUpperCase()}\\b`));
      const inner = r.stdout.toString('utf8');
      assert.match(inner, /^Content-Type: text\/plain; charset=utf-8;\r\n protected-headers="v1"\r\n/);
      assert.ok(inner.includes('Subject: [embargo] CVE-2031-0001 remote root in frobd\r\n'));
      assert.ok(inner.includes('X-Secret-Hint: frobd\r\n'));
      assert.ok(inner.includes('From: Embargo List <list@example.org>\r\n'), 'protected copy of From');
      assert.ok(inner.includes('Message-ID: <d1@example.org>\r\n'), 'protected copy of Message-ID');
      assert.ok(inner.endsWith('\r\n\r\nThe frobd daemon trusts its peers — fix lands on 2031-04-15.\r\n'));
    });

    it('keeps the fields named by the caller outside, and works on a bare-LF message without signing', async function () {
      const out = await encryptMime(disclosure('\n'), {
        encryptionKeys: [memberPublic],
        outside: { names: ['from', 'to', 'message-id'], prefixes: ['x-embargo-'] },
      });
      const outer = headerOf(out);
      assert.ok(outer.includes('X-Embargo-Thread: 42\r\n'));
      assert.ok(!outer.includes('List-Id'), 'List-Id is not on the caller’s list');
      assert.ok(!outer.includes('MIME-Version: 1.0\r\nMIME-Version'), 'one MIME-Version');
      assert.match(outer, /MIME-Version: 1.0\r\n/);
      const r = home.run(['--status-fd', '2', '--decrypt'], armoredBlock(out.toString('latin1'), 'MESSAGE'));
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /GOODSIG|VALIDSIG/);
      assert.ok(r.stdout.toString('utf8').includes('List-Id: Embargo <embargo.example.org>\r\n'));
    });

    it('round-trips through decryptMime: the Subject restored, the signer named, the outer fields kept', async function () {
      const out = await encryptMime(disclosure(), { encryptionKeys: [memberPublic], signingKey: listKey });
      const r = await decryptMime(out, memberSecret, { candidateKeys: [memberPublic, listPublic] });
      assert.ok(r.ok, JSON.stringify(r));
      const text = r.message.toString('utf8');
      assert.ok(text.includes('Subject: [embargo] CVE-2031-0001 remote root in frobd\r\n'));
      assert.ok(!text.includes(`Subject: ${HIDDEN_SUBJECT}`));
      assert.equal(text.match(/^From: /gm)?.length, 1, 'the protected copy of From is not doubled');
      assert.ok(text.includes('In-Reply-To: <d0@example.org>\r\n'));
      assert.ok(text.endsWith('\r\n\r\nThe frobd daemon trusts its peers — fix lands on 2031-04-15.\r\n'));
      assert.ok(r.signature.ok);
      assert.equal(r.signature.fingerprint, listPublic.getFingerprint().toUpperCase());
      assert.equal(r.signature.keyIndex, 1);
      assert.deepEqual(r.mismatched, []);
    });
  });

  describe('signMime', function () {
    it('makes a multipart/signed message gpg --verify accepts, over the 7-bit CRLF part as sent', async function () {
      const out = await signMime(disclosure(), listKey);
      const outer = headerOf(out);
      assert.ok(outer.includes('Subject: [embargo] CVE-2031-0001 remote root in frobd\r\n'));
      assert.match(
        outer,
        /Content-Type: multipart\/signed; micalg=pgp-sha(256|384|512); protocol="application\/pgp-signature";/,
      );
      const { boundary, parts } = partsOf(out);
      assert.equal(parts.length, 2);
      const signed = parts[0] ?? '';
      assert.ok(!signed.includes(boundary));
      assert.doesNotMatch(signed, /[^\r]\n/, 'CRLF only');
      assert.ok(!/[^\t\r\n -~]/.test(signed), '7-bit: the UTF-8 text is base64 now');
      assert.match(signed, /Content-Transfer-Encoding: base64\r\n/);
      const sig = armoredBlock(parts[1] ?? '', 'SIGNATURE');
      const r = home.run(['--status-fd', '2', '--verify', home.file(sig), home.file(Buffer.from(signed, 'latin1'))]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`VALIDSIG \\S+ .* ${listPublic.getFingerprint().toUpperCase()}\\b`));
      // micalg names the hash the signature used (gpg: VALIDSIG ... pubkey-algo hash-algo ...).
      const hashId = /VALIDSIG (?:\S+ ){6}(\d+) (\d+)/.exec(r.stderr)?.[2];
      const names: Record<string, string> = { '8': 'sha256', '9': 'sha384', '10': 'sha512' };
      assert.ok(outer.includes(`micalg=pgp-${names[hashId ?? ''] ?? '?'};`), `micalg matches hash ${hashId}`);

      const v = await verifyMime(out, [memberPublic, listPublic]);
      assert.ok(v.ok, JSON.stringify(v));
      assert.equal(v.keyIndex, 1);
    });

    it('picks a boundary that is not in the content, even when the text quotes delimiter-like lines', async function () {
      const raw = Buffer.from(
        [
          'From: list@example.org',
          'Subject: quoting',
          'Content-Type: text/plain',
          '',
          '--=_pgp_',
          '-----BEGIN PGP SIGNATURE-----',
          '--sig-b0undary--',
          '',
        ].join('\r\n'),
      );
      const out = await signMime(raw, listKey);
      const v = await verifyMime(out, [listPublic]);
      assert.ok(v.ok, JSON.stringify(v));
      const { parts } = partsOf(out);
      const r = home.run([
        '--verify',
        home.file(armoredBlock(parts[1] ?? '', 'SIGNATURE')),
        home.file(Buffer.from(parts[0] ?? '', 'latin1')),
      ]);
      assert.equal(r.status, 0, r.stderr);
      const b = freshBoundary([Buffer.from(parts[0] ?? '')]);
      assert.match(b, /^=_pgp_[0-9a-f]{36}$/);
    });
  });

  describe('decryptMime of what gpg sends', function () {
    it('decrypts a gpg-encrypted, gpg-signed entity to the list and names the member’s key', async function () {
      const armored = home
        .ok(['--armor', '--trust-model', 'always', '--encrypt', '--sign', '-r', 'list@example.org'], INNER)
        .stdout.toString('utf8');
      const r = await decryptMime(wrapEncrypted(armored), listKey, { candidateKeys: [listPublic, memberPublic] });
      assert.ok(r.ok, JSON.stringify(r));
      const text = r.message.toString('utf8');
      assert.ok(text.includes('Subject: CVE-2031-0002 heap overflow in quuxd\r\n'), 'protected Subject restored');
      assert.ok(text.includes('Message-ID: <m1@member.example>\r\n'), 'outer routing field kept');
      assert.ok(text.endsWith('\r\n\r\nDetails for the list only.\r\n'));
      assert.ok(r.signature.ok, JSON.stringify(r.signature));
      assert.equal(r.signature.fingerprint, home.fingerprint);
      assert.notEqual(r.signature.signingKeyFingerprint, home.fingerprint, 'the signing subkey');
      assert.equal(r.signature.keyIndex, 1);
    });

    it('says UNSIGNED for encryption without a signature, and UNKNOWN_SIGNER when the signer is not a candidate', async function () {
      const plain = home.ok(['--armor', '--trust-model', 'always', '--encrypt', '-r', 'list@example.org'], INNER);
      const r1 = await decryptMime(wrapEncrypted(plain.stdout.toString()), listKey, { candidateKeys: [memberPublic] });
      assert.ok(r1.ok);
      assert.equal(r1.signature.ok, false);
      assert.equal(!r1.signature.ok && r1.signature.code, 'UNSIGNED');

      const signed = home.ok(
        ['--armor', '--trust-model', 'always', '--encrypt', '--sign', '-r', 'list@example.org'],
        INNER,
      );
      const r2 = await decryptMime(wrapEncrypted(signed.stdout.toString()), listKey, { candidateKeys: [listPublic] });
      assert.ok(r2.ok);
      assert.equal(!r2.signature.ok && r2.signature.code, 'UNKNOWN_SIGNER');
    });

    it('reads the sign-then-encrypt form (a multipart/signed entity encrypted, RFC 3156 6.1)', async function () {
      const sig = home.ok(['--armor', '--detach-sign'], SIGNED_PART).stdout.toString();
      const entity = fromContentType(wrapSigned(SIGNED_PART, sig));
      const armored = home.ok(['--armor', '--trust-model', 'always', '--encrypt', '-r', 'list@example.org'], entity);
      const r = await decryptMime(wrapEncrypted(armored.stdout.toString()), listKey, { candidateKeys: [memberPublic] });
      assert.ok(r.ok, JSON.stringify(r));
      assert.ok(r.signature.ok, JSON.stringify(r.signature));
      assert.equal(r.signature.fingerprint, home.fingerprint);
    });

    it('lists protected fields that disagree with the outside ones', async function () {
      const forged = INNER.replace('From: Sec <security@member.example>', 'From: Boss <boss@example.org>');
      const armored = home.ok(['--armor', '--trust-model', 'always', '--encrypt', '-r', 'list@example.org'], forged);
      const r = await decryptMime(wrapEncrypted(armored.stdout.toString()), listKey);
      assert.ok(r.ok);
      assert.deepEqual(r.mismatched, ['from']);
      assert.match(r.message.toString(), /^From: Sec <security@member\.example>\r\n/m);
      assert.doesNotMatch(r.message.toString(), /boss@example\.org/);
    });
  });

  describe('verifyMime of what gpg signs', function () {
    it('names the member’s key for a gpg --detach-sign signature, binary or text mode', async function () {
      for (const mode of [[], ['--textmode']]) {
        const sig = home.ok(['--armor', '--detach-sign', ...mode], SIGNED_PART).stdout.toString();
        const v = await verifyMime(Buffer.from(wrapSigned(SIGNED_PART, sig)), [listPublic, memberPublic]);
        assert.ok(v.ok, `${mode.join('')}: ${JSON.stringify(v)}`);
        assert.equal(v.fingerprint, home.fingerprint);
        assert.equal(v.keyIndex, 1);
        assert.equal(v.signedEntity.toString(), SIGNED_PART);
      }
    });

    it('reads a message stored with bare LF line ends as its CRLF form', async function () {
      const sig = home.ok(['--armor', '--detach-sign'], SIGNED_PART).stdout.toString();
      const lfOnly = wrapSigned(SIGNED_PART, sig).replace(/\r\n/g, '\n');
      const v = await verifyMime(Buffer.from(lfOnly), [memberPublic]);
      assert.ok(v.ok, JSON.stringify(v));
    });
  });

  describe('the attacker’s variants', function () {
    it('UNKNOWN_SIGNER: a valid signature by a key that is not a candidate', async function () {
      const mallory = stranger();
      const sig = mallory.ok(['--armor', '--detach-sign'], SIGNED_PART).stdout.toString();
      const v = await verifyMime(Buffer.from(wrapSigned(SIGNED_PART, sig)), [memberPublic, listPublic]);
      assert.equal(v.ok, false);
      assert.equal(!v.ok && v.code, 'UNKNOWN_SIGNER');
      assert.ok(!v.ok && v.keyIds && v.keyIds.length === 1);
      const none = await verifyMime(Buffer.from(wrapSigned(SIGNED_PART, sig)), []);
      assert.equal(!none.ok && none.code, 'UNKNOWN_SIGNER');
    });

    it('BAD_SIGNATURE: the body changed after signing', async function () {
      const sig = home.ok(['--armor', '--detach-sign'], SIGNED_PART).stdout.toString();
      const v = await verifyMime(Buffer.from(wrapSigned(SIGNED_PART.replace('17', '18'), sig)), [memberPublic]);
      assert.equal(!v.ok && v.code, 'BAD_SIGNATURE');
      // A message signed by the list, one byte changed in the signed part.
      const out = (await signMime(disclosure(), listKey)).toString('latin1');
      const tampered = Buffer.from(out.replace('X-Secret-Hint: frobd', 'X-Secret-Hint: frobz'), 'latin1');
      const v2 = await verifyMime(tampered, [listPublic]);
      assert.equal(!v2.ok && v2.code, 'BAD_SIGNATURE');
    });

    it('a delimiter line planted in the signed content cuts the part short: never a valid signature', async function () {
      const content = SIGNED_PART + '--sig-b0undary\r\nContent-Type: text/plain\r\n\r\nextra\r\n';
      const sig = home.ok(['--armor', '--detach-sign'], content).stdout.toString();
      // The signature is good over the whole content...
      const whole = home.run(['--verify', home.file(sig), home.file(content)]);
      assert.equal(whole.status, 0, whole.stderr);
      // ...but a reader splits at the planted delimiter, so the message does not verify.
      const v = await verifyMime(Buffer.from(wrapSigned(content, sig)), [memberPublic]);
      assert.equal(v.ok, false);
      assert.ok(!v.ok && ['MALFORMED', 'BAD_SIGNATURE'].includes(v.code), JSON.stringify(v));
    });

    it('PARTIAL_SIGNATURE: a signed sub-part beside an unsigned part in multipart/mixed', async function () {
      const sig = home.ok(['--armor', '--detach-sign'], SIGNED_PART).stdout.toString();
      const signed = fromContentType(wrapSigned(SIGNED_PART, sig, 'inner'));
      const raw = [
        'From: Sec <security@member.example>',
        'Subject: APPROVE 17',
        'Content-Type: multipart/mixed; boundary="outer"',
        '',
        '--outer',
        signed.trimEnd(),
        '--outer',
        'Content-Type: text/plain',
        '',
        'DENY 17 (unsigned)',
        '--outer--',
        '',
      ].join('\r\n');
      const v = await verifyMime(Buffer.from(raw), [memberPublic]);
      assert.equal(!v.ok && v.code, 'PARTIAL_SIGNATURE', JSON.stringify(v));
    });

    it('UNSIGNED: a plain message, and an S/MIME multipart/signed', async function () {
      const v = await verifyMime(disclosure(), [memberPublic]);
      assert.equal(!v.ok && v.code, 'UNSIGNED');
      const smime = wrapSigned(SIGNED_PART, 'MIIB').replace(
        'application/pgp-signature"',
        'application/pkcs7-signature"',
      );
      const v2 = await verifyMime(Buffer.from(smime), [memberPublic]);
      assert.equal(!v2.ok && v2.code, 'UNSIGNED');
    });

    it('NOT_FOR_US: encrypted to another key', async function () {
      const armored = home.ok(['--armor', '--trust-model', 'always', '--encrypt', '-r', home.fingerprint], INNER);
      const r = await decryptMime(wrapEncrypted(armored.stdout.toString()), listKey, { candidateKeys: [memberPublic] });
      assert.equal(!r.ok && r.code, 'NOT_FOR_US', JSON.stringify(r));
    });

    it('MALFORMED: a garbage armored block, a missing Version part, a truncated message', async function () {
      const garbage = `-----BEGIN PGP MESSAGE-----\r\n\r\n${randomBytes(300).toString('base64')}\r\n-----END PGP MESSAGE-----`;
      const r = await decryptMime(wrapEncrypted(garbage), listKey);
      assert.equal(!r.ok && r.code, 'MALFORMED');
      const armored = home.ok(['--armor', '--trust-model', 'always', '--encrypt', '-r', 'list@example.org'], INNER);
      const noVersion = wrapEncrypted(armored.stdout.toString())
        .toString()
        .replace('\r\nVersion: 1\r\n', '\r\nVersion: 2\r\n');
      const r2 = await decryptMime(Buffer.from(noVersion), listKey);
      assert.equal(!r2.ok && r2.code, 'MALFORMED');
      const whole = wrapEncrypted(armored.stdout.toString());
      const r3 = await decryptMime(whole.subarray(0, whole.length - 200), listKey);
      assert.equal(!r3.ok && r3.code, 'MALFORMED');
      const v = await verifyMime(Buffer.from(wrapSigned(SIGNED_PART, 'not a signature')), [memberPublic]);
      assert.equal(!v.ok && v.code, 'MALFORMED');
    });

    it('MALFORMED: ciphertext changed in transit fails the integrity check, nothing is returned', async function () {
      const big = INNER + 'x'.repeat(5000) + '\r\n';
      const armored = home
        .ok(['--armor', '--trust-model', 'always', '-z', '0', '--encrypt', '-r', 'list@example.org'], big)
        .stdout.toString();
      const lines = armored.split('\n');
      const mid = Math.floor(lines.length / 2);
      const line = lines[mid] ?? '';
      lines[mid] = (line[0] === 'A' ? 'B' : 'A') + line.slice(1);
      const r = await decryptMime(wrapEncrypted(lines.join('\n')), listKey);
      assert.equal(!r.ok && r.code, 'MALFORMED', JSON.stringify(r));
    });

    it('TOO_LARGE: a compressed payload that inflates past the cap is stopped', async function () {
      const zeros = Buffer.concat([Buffer.from(INNER), Buffer.alloc(20 * 1024 * 1024, 0x41)]);
      const armored = home
        .ok(
          [
            '--armor',
            '--trust-model',
            'always',
            '--compress-algo',
            'zlib',
            '-z',
            '9',
            '--encrypt',
            '-r',
            'list@example.org',
          ],
          zeros,
        )
        .stdout.toString();
      const raw = wrapEncrypted(armored);
      assert.ok(raw.length < 200 * 1024, `small ciphertext (${raw.length})`);
      const r = await decryptMime(raw, listKey, { maxBytes: 1024 * 1024 });
      assert.equal(!r.ok && r.code, 'TOO_LARGE', JSON.stringify(r));
    });

    it('PARTIAL_ENCRYPTION: an encrypted part beside a plaintext part', async function () {
      const armored = home.ok(['--armor', '--trust-model', 'always', '--encrypt', '-r', 'list@example.org'], INNER);
      const encrypted = fromContentType(wrapEncrypted(armored.stdout.toString(), 'enc'));
      const raw = [
        'From: Sec <security@member.example>',
        'Subject: hello',
        'Content-Type: multipart/mixed; boundary="outer"',
        '',
        '--outer',
        'Content-Type: text/plain',
        '',
        'Plain words the attacker added.',
        '--outer',
        encrypted.trimEnd(),
        '--outer--',
        '',
      ].join('\r\n');
      const r = await decryptMime(Buffer.from(raw), listKey);
      assert.equal(!r.ok && r.code, 'PARTIAL_ENCRYPTION', JSON.stringify(r));
      const plain = await decryptMime(disclosure(), listKey);
      assert.equal(!plain.ok && plain.code, 'NOT_ENCRYPTED');
    });

    it('NESTED_ENCRYPTION: somebody else’s signed ciphertext wrapped in a second layer is not unwrapped', async function () {
      const innerMail = await encryptMime(Buffer.from(INNER), {
        encryptionKeys: [listPublic],
        signingKey: memberSecret,
      });
      const mallory = stranger();
      mallory.importKey(listPublic.armor());
      const outer = mallory.ok(
        ['--armor', '--trust-model', 'always', '--encrypt', '--sign', '-r', 'list@example.org'],
        fromContentType(innerMail),
      );
      const r = await decryptMime(wrapEncrypted(outer.stdout.toString()), listKey, { candidateKeys: [memberPublic] });
      assert.equal(!r.ok && r.code, 'NESTED_ENCRYPTION', JSON.stringify(r));
    });

    it('TOO_LARGE: over the size cap, before any parsing', async function () {
      const out = await encryptMime(disclosure(), { encryptionKeys: [listPublic] });
      const r = await decryptMime(out, listKey, { maxBytes: 1000 });
      assert.equal(!r.ok && r.code, 'TOO_LARGE');
      const v = await verifyMime(await signMime(disclosure(), listKey), [listPublic], { maxBytes: 1000 });
      assert.equal(!v.ok && v.code, 'TOO_LARGE');
    });

    it('never throws on random bytes', async function () {
      for (let i = 0; i < 50; i++) {
        const noise = Buffer.concat([
          Buffer.from(
            i % 2
              ? 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\r\n\r\n--b\r\n'
              : 'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=b\r\n\r\n--b\r\n',
          ),
          randomBytes(200 + i * 10),
        ]);
        const r = await decryptMime(noise, listKey);
        assert.equal(r.ok, false);
        const v = await verifyMime(noise, [listPublic]);
        assert.equal(v.ok, false);
      }
    });
  });

  describe('mime-entity splitMultipart', function () {
    it('splits at delimiter lines only: not inside a line, not at a longer boundary', function () {
      const body = Buffer.from(
        ['preamble', '--b', 'one', 'x--b', '--bb', '--b  ', 'two', '', '--b--', 'epilogue'].join('\r\n'),
      );
      const split = splitMultipart(body, 'b');
      assert.equal(split.closed, true);
      assert.deepEqual(
        split.parts.map((p) => p.toString()),
        ['one\r\nx--b\r\n--bb', 'two\r\n'],
      );
    });
  });
});
