import assert from 'node:assert/strict';
import type { Context } from '../../../src/context';
import type { Envelope, Transport } from '../../../src/mail/transport';
import { describeKey } from '../../../src/openpgp/keys';
import { openpgp, type PrivateKey, type PublicKey } from '../../../src/openpgp/lib';
import type { ListKey } from '../../../src/openpgp/list-key';
import { decryptMime, verifyMime } from '../../../src/openpgp/pgp-mime';
import { Deliverer } from '../../../src/runners/deliver';
import { putKey } from '../../../src/store/keys';
import { enqueueMail } from '../../../src/store/outbox';
import { createTestContext, FIXED_DATE, testConfig } from '../../helpers/context';

class RecordingTransport implements Transport {
  readonly calls: { envelope: Envelope; raw: Buffer }[] = [];
  async send(envelope: Envelope, raw: Buffer): Promise<number | null> {
    this.calls.push({ envelope, raw });
    return 250;
  }
  close(): void {}
  describe(): string {
    return 'recording';
  }
}

const MEMBER = 'keyed@alpha.example';
const OTHER = 'plain@beta.example';
const THIRD = 'plain@gamma.example';
const SUBJECT = '[EMBARGOED] [#1] CVE-2026-7777 frobd';
const TEXT = 'The frobd daemon overflows on a crafted hello.';

function mail(): Buffer {
  return Buffer.from(
    [
      'From: Moderator <moderator@example.org>',
      'To: security@lists.example.org',
      `Subject: ${SUBJECT}`,
      'Date: Tue, 10 Mar 2026 09:30:00 +0000',
      'Message-ID: <post-1@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      TEXT,
      '',
    ].join('\r\n'),
  );
}

interface Pair {
  privateKey: PrivateKey;
  publicKey: PublicKey;
  fingerprint: string;
}

async function pair(email: string): Promise<Pair> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ email }],
    date: new Date(FIXED_DATE.getTime() - 86_400_000),
    format: 'object',
  });
  return { privateKey, publicKey, fingerprint: publicKey.getFingerprint().toUpperCase() };
}

let member: Pair;
let replacement: Pair;
let list: ListKey;

async function setup(withListKey: boolean): Promise<{ ctx: Context; transport: RecordingTransport }> {
  const ctx = createTestContext({
    config: testConfig('openpgp: { enabled: true }\npolicy: { encryption: opportunistic }\n'),
    ...(withListKey ? { listKey: list } : {}),
  });
  putKey(ctx.db, 'member', MEMBER, await describeKey(member.publicKey, FIXED_DATE), FIXED_DATE.toISOString(), 'test');
  return { ctx, transport: new RecordingTransport() };
}

function queue(ctx: Context, recipients: string[], encryptTo?: (r: string) => string | null): void {
  enqueueMail(
    ctx.db,
    {
      inboundId: null,
      purpose: 'relay',
      envelopeFrom: 'security-bounces@lists.example.org',
      messageId: '<post-1@example.org>',
      raw: mail(),
      recipients,
      encryptTo,
    },
    FIXED_DATE.toISOString(),
  );
}

function statusOf(ctx: Context, recipient: string): { status: string; last_error: string | null } {
  return ctx.db.prepare('SELECT status, last_error FROM outbox WHERE recipient = ?').get(recipient) as {
    status: string;
    last_error: string | null;
  };
}

describe('deliver: OpenPGP on the way out', () => {
  before(async function () {
    this.timeout(60_000);
    member = await pair(MEMBER);
    replacement = await pair(MEMBER);
    const listPair = await pair('security@lists.example.org');
    list = { ...listPair, file: '/nonexistent/list-secret.asc' };
  });

  it('sends a copy with encrypt_to as PGP/MIME that the member decrypts to the text, signed inside by the list, Subject hidden outside', async () => {
    const { ctx, transport } = await setup(true);
    queue(ctx, [MEMBER], () => member.fingerprint);
    const done = await new Deliverer(ctx, transport).drainOnce();
    assert.deepEqual(done, { sent: 1, retried: 0, failed: 0 });
    const sent = transport.calls[0]!.raw;
    const outerHeader = sent.toString('latin1').split('\r\n\r\n')[0]!;
    assert.match(outerHeader, /multipart\/encrypted/);
    assert.ok(!outerHeader.includes('CVE-2026-7777'), 'the subject is not in the outer header');
    assert.ok(!sent.toString('latin1').includes(TEXT), 'the text is not in the clear');
    const opened = await decryptMime(sent, member.privateKey, { candidateKeys: [list.publicKey] });
    assert.ok(opened.ok, JSON.stringify(opened));
    assert.ok(opened.message.toString('utf8').includes(TEXT));
    assert.match(opened.message.toString('utf8'), /Subject: \[EMBARGOED\] \[#1\] CVE-2026-7777 frobd/);
    assert.ok(opened.signature.ok, 'signed by the list key');
    assert.equal(opened.signature.ok && opened.signature.fingerprint, list.fingerprint);
  });

  it('signs a clear copy with the list key (verifies), once per outbox_message for all its copies', async () => {
    const { ctx, transport } = await setup(true);
    queue(ctx, [OTHER, THIRD]);
    assert.deepEqual(await new Deliverer(ctx, transport).drainOnce(), { sent: 2, retried: 0, failed: 0 });
    const [a, b] = transport.calls.map((c) => c.raw);
    const verified = await verifyMime(a!, [list.publicKey]);
    assert.ok(verified.ok, JSON.stringify(verified));
    assert.equal(verified.fingerprint, list.fingerprint);
    assert.ok(a!.toString('utf8').includes(TEXT));
    // A fresh signature would differ (its time, its boundary): the same bytes mean one signature.
    assert.ok(a!.equals(b!), 'both copies carry the one signature made for the message');
  });

  it('fails a copy whose member key changed since it was queued with KEY_UNUSABLE, and never sends it in the clear', async () => {
    const { ctx, transport } = await setup(true);
    queue(ctx, [MEMBER], () => member.fingerprint);
    putKey(
      ctx.db,
      'member',
      MEMBER,
      await describeKey(replacement.publicKey, FIXED_DATE),
      FIXED_DATE.toISOString(),
      'test',
    );
    assert.deepEqual(await new Deliverer(ctx, transport).drainOnce(), { sent: 0, retried: 0, failed: 1 });
    assert.equal(transport.calls.length, 0);
    const row = statusOf(ctx, MEMBER);
    assert.equal(row.status, 'failed');
    assert.match(row.last_error ?? '', /^KEY_UNUSABLE /);
  });

  it('fails a copy whose member key was removed or revoked since it was queued, without a list key too', async () => {
    const { ctx, transport } = await setup(false);
    queue(ctx, [MEMBER], () => member.fingerprint);
    ctx.db.prepare('UPDATE openpgp_keys SET revoked = 1').run();
    assert.deepEqual(await new Deliverer(ctx, transport).drainOnce(), { sent: 0, retried: 0, failed: 1 });
    assert.equal(transport.calls.length, 0);
    assert.match(statusOf(ctx, MEMBER).last_error ?? '', /^KEY_UNUSABLE /);
  });

  it('without a list key and encrypt_to, sends the stored bytes as they are', async () => {
    const { ctx, transport } = await setup(false);
    queue(ctx, [OTHER]);
    await new Deliverer(ctx, transport).drainOnce();
    assert.ok(transport.calls[0]!.raw.equals(mail()));
  });
});
