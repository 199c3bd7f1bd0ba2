/**
 * The SMTP transport against a real SMTP server (smtp-server on loopback): each copy leaves as the
 * exact bytes the outbox holds, in its own envelope, signed when relay.dkim is set; a refusal
 * rejects with the server's code and leaves the connection usable for the next copy.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTransport, type Transport } from '../../src/mail/transport';
import { verifyWithMailauth, type TxtResolver } from '../../src/policy/sender-auth';
import { testConfig } from '../helpers/context';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from './harness/smtp-peer';

/** A message whose bytes an SMTP client could spoil: a dot-led line, a lone "." line, 8-bit text, no final line end. */
const RAW = Buffer.from(
  [
    'From: "Alice via Example Security" <security@lists.example.org>',
    'To: security@lists.example.org',
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
    'Date: Tue, 10 Mar 2026 09:30:00 +0000',
    'Message-ID: <m1@member.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    '.a line that starts with a dot',
    '.',
    '..two dots',
    'Grüße',
    'the last line has no line end',
  ].join('\r\n'),
);

describe('mail/transport (SMTP, against smtp-server)', function () {
  this.timeout(30_000);
  let peer: SmtpPeer;
  let transport: Transport;
  let dir: string;
  const start = async (opts: SmtpPeerOptions = {}, extraYaml = ''): Promise<void> => {
    peer = await startSmtpPeer(opts);
    transport = createTransport(
      testConfig(`outbound: { smtp: { host: 127.0.0.1, port: ${peer.port}, maxConnections: 2 } }\n${extraYaml}`),
    );
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-list-smtp-'));
  });
  afterEach(async () => {
    transport?.close();
    await peer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends the exact bytes in an envelope of their own and answers the 250', async () => {
    await start();
    const code = await transport.send({ from: 'security-bounces+x@lists.example.org', to: 'a@member.example' }, RAW, 1);
    assert.equal(code, 250);
    assert.equal(peer.received.length, 1);
    const got = peer.received[0]!;
    assert.equal(got.envelopeFrom, 'security-bounces+x@lists.example.org');
    assert.deepEqual(got.rcptTo, ['a@member.example']);
    // SMTP ends the data with a line end; everything before it is ours, byte for byte.
    assert.equal(got.raw.toString('latin1').replace(/\r\n$/, ''), RAW.toString('latin1'));
  });

  it('sends many copies over its connections, each to its own recipient and nobody else', async () => {
    await start();
    const to = Array.from({ length: 25 }, (_, i) => `m${i}@member${i}.example`);
    await Promise.all(to.map((r, i) => transport.send({ from: 'b@lists.example.org', to: r }, RAW, i + 1)));
    assert.deepEqual(peer.received.map((m) => m.rcptTo.join(',')).sort(), [...to].sort());
  });

  it('rejects a refused recipient with the server code and sends the next copy on', async () => {
    await start({ onRcpt: (rcpt) => (rcpt.startsWith('gone@') ? { code: 550, message: 'no such user' } : undefined) });
    await assert.rejects(
      transport.send({ from: 'b@lists.example.org', to: 'gone@member.example' }, RAW, 1),
      (err: Error & { responseCode?: number }) => err.responseCode === 550,
    );
    assert.equal(await transport.send({ from: 'b@lists.example.org', to: 'here@member.example' }, RAW, 2), 250);
    assert.deepEqual(
      peer.received.map((m) => m.rcptTo[0]),
      ['here@member.example'],
    );
  });

  it('rejects a message refused after DATA with a temporary code, and nothing is recorded as received', async () => {
    await start({ onData: () => ({ code: 451, message: 'try later' }) });
    await assert.rejects(
      transport.send({ from: 'b@lists.example.org', to: 'a@member.example' }, RAW, 1),
      (err: Error & { responseCode?: number }) => err.responseCode === 451,
    );
    assert.equal(peer.received.length, 0);
  });

  it('signs each copy with relay.dkim, and the signature verifies over the bytes received', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = path.join(dir, 'dkim.pem');
    fs.writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const txt = `v=DKIM1; k=rsa; p=${pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const resolver: TxtResolver = async (name) => {
      if (name.toLowerCase() === 'el._domainkey.lists.example.org') return [txt.match(/.{1,255}/g) ?? []];
      throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    };
    await start({}, `relay: { dkim: { domainName: lists.example.org, keySelector: el, privateKeyFile: ${keyFile} } }`);
    await transport.send({ from: 'b@lists.example.org', to: 'a@member.example' }, RAW, 1);
    await transport.send({ from: 'b@lists.example.org', to: 'c@member.example' }, RAW, 2);
    assert.equal(peer.received.length, 2);
    for (const got of peer.received) {
      assert.match(got.raw.toString('latin1'), /^DKIM-Signature: v=1; a=rsa-sha256;.* d=lists\.example\.org;/s);
      const verdict = await verifyWithMailauth(
        got.raw,
        'security@lists.example.org',
        resolver,
        new Date('2026-03-10T09:31:00Z'),
      );
      assert.equal(verdict.authenticated, true, verdict.evidence.join('; '));
    }
  });
});
