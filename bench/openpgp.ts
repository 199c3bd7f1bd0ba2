/**
 * The cost in time per encrypted copy (issue 12): encryptMime of a 3 KB disclosure to one member
 * key, ECC (Curve25519) and RSA-3072, without and with the list's signature (an Ed25519 key), and
 * signMime alone for the copies sent in the clear. Keys are made by OpenPGP.js before timing.
 *
 *   npx tsx bench/openpgp.ts [COPIES]     (default 200 copies per case, after 20 to warm up)
 */
import { performance } from 'node:perf_hooks';
import { encryptMime, signMime } from '../src/openpgp/pgp-mime';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const openpgp = require('openpgp') as typeof import('openpgp', { with: { 'resolution-mode': 'import' } });

function disclosure(): Buffer {
  const line = 'The frobd daemon trusts the length field of a peer hello; a crafted hello overflows. ';
  const text = line.repeat(Math.ceil(3000 / line.length)).slice(0, 3000);
  return Buffer.from(
    [
      'From: Embargo List <list@example.org>',
      'To: security@member.example',
      'Subject: [embargo] CVE-2031-0001 remote root in frobd',
      'Date: Tue, 01 Apr 2031 10:00:00 +0000',
      'Message-ID: <d1@example.org>',
      'List-Id: Embargo <embargo.example.org>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      ...(text.match(/.{1,76}/g) ?? []),
      '',
    ].join('\r\n'),
  );
}

async function time(label: string, copies: number, once: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 20; i++) await once();
  const start = performance.now();
  for (let i = 0; i < copies; i++) await once();
  const ms = (performance.now() - start) / copies;
  console.log(`${label.padEnd(40)} ${ms.toFixed(2)} ms/copy  (${copies} copies)`);
}

async function main(): Promise<void> {
  const copies = Number(process.argv[2] ?? 200);
  const raw = disclosure();
  const list = await openpgp.generateKey({ userIDs: [{ email: 'list@example.org' }], format: 'object' });
  const ecc = await openpgp.generateKey({ userIDs: [{ email: 'ecc@member.example' }], format: 'object' });
  const t = performance.now();
  const rsa = await openpgp.generateKey({
    type: 'rsa',
    rsaBits: 3072,
    userIDs: [{ email: 'rsa@member.example' }],
    format: 'object',
  });
  console.log(`node ${process.version}, openpgp ${openpgp.config.versionString}, message ${raw.length} bytes`);
  console.log(`(RSA-3072 key generation, once: ${(performance.now() - t).toFixed(0)} ms)`);
  await time('encrypt, ECC key', copies, () => encryptMime(raw, { encryptionKeys: [ecc.publicKey] }));
  await time('encrypt + sign (Ed25519), ECC key', copies, () =>
    encryptMime(raw, { encryptionKeys: [ecc.publicKey], signingKey: list.privateKey }),
  );
  await time('encrypt, RSA-3072 key', copies, () => encryptMime(raw, { encryptionKeys: [rsa.publicKey] }));
  await time('encrypt + sign (Ed25519), RSA-3072 key', copies, () =>
    encryptMime(raw, { encryptionKeys: [rsa.publicKey], signingKey: list.privateKey }),
  );
  await time('sign only (Ed25519), clear copy', copies, () => signMime(raw, list.privateKey));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
