/**
 * relay.dkim: what we send carries the list's DKIM signature, which verifies against the public
 * key (checked with mailauth and a resolver of our own: no DNS).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTransport } from '../../../src/mail/transport';
import { verifyWithMailauth, type TxtResolver } from '../../../src/policy/sender-auth';
import { testConfig } from '../../helpers/context';

describe('mail/transport with relay.dkim', () => {
  let dir: string;
  let keyFile: string;
  let publicTxt: string[];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-list-dkim-'));
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyFile = path.join(dir, 'dkim.pem');
    fs.writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    publicTxt =
      `v=DKIM1; k=rsa; p=${pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`.match(
        /.{1,255}/g,
      ) ?? [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const resolver = (): TxtResolver => async (name) => {
    if (name.toLowerCase() === 'el._domainkey.lists.example.org') return [publicTxt];
    throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };

  it("signs every copy with the list domain's key, so that it verifies and aligns with a From at the list", async () => {
    const config = testConfig(
      `outbound: { directory: ${dir}/out }\nrelay: { dkim: { domainName: lists.example.org, keySelector: el, privateKeyFile: ${keyFile} } }`,
    );
    const transport = createTransport(config);
    const raw = Buffer.from(
      'From: "Alice via Example Security" <security@lists.example.org>\r\nTo: security@lists.example.org\r\nSubject: t\r\nDate: Tue, 10 Mar 2026 09:30:00 +0000\r\nMessage-ID: <m1@member.example>\r\n\r\nbody\r\n',
    );
    await transport.send({ from: 'security-bounces@lists.example.org', to: 'a@member.example' }, raw, 1);
    const written = fs.readFileSync(path.join(dir, 'out', '00000001.eml'));
    const signed = written.subarray(written.indexOf('DKIM-Signature'));
    assert.match(signed.toString(), /^DKIM-Signature: v=1; a=rsa-sha256;.* d=lists\.example\.org;/s);
    const verdict = await verifyWithMailauth(
      signed,
      'security@lists.example.org',
      resolver(),
      new Date('2026-03-10T09:31:00Z'),
    );
    assert.equal(verdict.authenticated, true, verdict.evidence.join('; '));
  });

  it('stops at start with one line naming the key when the private key cannot be read', () => {
    const config = testConfig(
      `outbound: { directory: ${dir}/out }\nrelay: { dkim: { domainName: lists.example.org, keySelector: el, privateKeyFile: ${dir}/missing.pem } }`,
    );
    assert.throws(
      () => createTransport(config),
      (err: Error & { code?: string }) =>
        err.code === 'CONFIG_INVALID' && /relay\.dkim\.privateKeyFile/.test(err.message),
    );
  });
});
