/**
 * The cost of OpenPGP at delivery (issue 12), through the real code: a 3 KB disclosure relayed
 * into a thread (actions/thread-relay, inside one transaction) to MEMBERS members, then drained by
 * the real Deliverer (runners/deliver) into a transport that accepts at once, so what is timed is
 * our side: claim, encrypt or sign, mark. Three cases on the same list:
 *
 *   off        openpgp.enabled off: the plain relay, the baseline
 *   encrypted  openpgp.enabled, opportunistic, every member has a key (Curve25519, made by
 *              OpenPGP.js before timing): each copy encrypted to its member and signed inside
 *   clear      openpgp.enabled, no member key: the one signature per message, shared by every copy
 *
 * The relay benchmark (bench/relay.ts) relays members' posts to the list, which are not thread
 * mail (nothing to encrypt); producing thread mail there would need disclosures opened by an
 * authenticated moderator for each post, so this is measured here instead.
 *
 *   npx tsx bench/openpgp-delivery.ts [MEMBERS]   (default 500)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { relayToThread } from '../src/actions/thread-relay';
import { parseConfig } from '../src/config';
import type { Context } from '../src/context';
import { loadTemplates } from '../src/mail/templates';
import type { Envelope, Transport } from '../src/mail/transport';
import { describeKey } from '../src/openpgp/keys';
import { openpgp, type PublicKey } from '../src/openpgp/lib';
import type { ListKey } from '../src/openpgp/list-key';
import { Deliverer } from '../src/runners/deliver';
import { getDisclosure, insertDisclosure } from '../src/store/disclosures';
import { loadMigrations, migrate, openDb, transaction } from '../src/store/db';
import { putKey } from '../src/store/keys';
import { upsertMember } from '../src/store/members';

const ROOT = path.resolve(__dirname, '..');

class AcceptingTransport implements Transport {
  readonly concurrency = 5;
  sent = 0;
  async send(_envelope: Envelope, _raw: Buffer): Promise<number | null> {
    this.sent += 1;
    return 250;
  }
  close(): void {}
  describe(): string {
    return 'accepting';
  }
}

function config(dir: string, enabled: boolean): Context['config'] {
  return parseConfig(
    `list:
  name: Bench Security
  address: security@lists.example.org
  requestsAddress: security-requests@lists.example.org
  moderators: [moderator@example.org]
dataDir: ${dir}
inbound: { maildir: ${dir}/inbox }
outbound: { directory: ${dir}/outbox }
security: { verifyDkim: false }
openpgp: { enabled: ${enabled} }
policy: { encryption: opportunistic }
log: { level: fatal, format: json }
`,
    'bench',
  );
}

function disclosureMail(): Buffer {
  const line = 'The frobd daemon trusts the length field of a peer hello; a crafted hello overflows. ';
  const text = line.repeat(Math.ceil(3000 / line.length)).slice(0, 3000);
  return Buffer.from(
    [
      'From: Moderator <moderator@example.org>',
      'To: security@lists.example.org',
      'Subject: CVE-2031-0001 remote root in frobd',
      'Date: Tue, 01 Apr 2031 10:00:00 +0000',
      'Message-ID: <d1@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      ...(text.match(/.{1,76}/g) ?? []),
      '',
    ].join('\r\n'),
  );
}

async function run(
  label: string,
  members: string[],
  opts: { enabled: boolean; keys?: PublicKey[]; listKey?: ListKey },
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-bench-pgp-'));
  try {
    const db = openDb(path.join(dir, 'bench.sqlite'));
    migrate(db, loadMigrations(path.join(ROOT, 'migrations')));
    const now = new Date();
    const ctx: Context = {
      config: config(dir, opts.enabled),
      db,
      log: pino({ level: 'silent' }),
      clock: () => new Date(),
      templates: loadTemplates(path.join(ROOT, 'templates')),
      outboxChanged: () => {},
      ...(opts.listKey ? { listKey: opts.listKey } : {}),
    };
    for (const [i, m] of members.entries()) {
      upsertMember(db, m, `Org ${i}`, now.toISOString());
      const key = opts.keys?.[i];
      if (key) putKey(db, 'member', m, await describeKey(key, now), now.toISOString(), 'bench');
    }
    const id = insertDisclosure(
      db,
      {
        subject: 'CVE-2031-0001 remote root in frobd',
        openingMessageId: '<d1@example.org>',
        openedBy: 'moderator@example.org',
        embargoEnd: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
        upstream: false,
        inboundId: null,
      },
      now.toISOString(),
    );
    const d = getDisclosure(db, id)!;
    const t0 = performance.now();
    const copies = transaction(db, () =>
      relayToThread(ctx, null, disclosureMail(), d, 'moderator@example.org', '<d1@example.org>'),
    );
    const t1 = performance.now();
    const transport = new AcceptingTransport();
    const result = await new Deliverer(ctx, transport, 100).drainOnce();
    const t2 = performance.now();
    db.close();
    if (result.sent !== copies)
      throw new Error(`${label}: ${result.sent} of ${copies} sent (${JSON.stringify(result)})`);
    console.log(
      `${label.padEnd(12)} ${copies} copies: enqueue ${(t1 - t0).toFixed(1)} ms, deliver ${(t2 - t1).toFixed(0)} ms = ${((t2 - t1) / copies).toFixed(3)} ms/copy`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 500);
  const members = Array.from({ length: n }, (_, i) => `security${i}@member${i}.example`);
  const t = performance.now();
  const keys: PublicKey[] = [];
  for (const m of members) {
    const { publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ email: m }],
      date: new Date(Date.now() - 60_000),
      format: 'object',
    });
    keys.push(publicKey);
  }
  const made = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ email: 'security@lists.example.org' }],
    date: new Date(Date.now() - 60_000),
    format: 'object',
  });
  const listKey: ListKey = {
    privateKey: made.privateKey,
    publicKey: made.publicKey,
    fingerprint: made.publicKey.getFingerprint().toUpperCase(),
    file: '(memory)',
  };
  console.log(
    `node ${process.version}, openpgp ${openpgp.config.versionString}, ${n} members (keys made in ${(performance.now() - t).toFixed(0)} ms)`,
  );
  await run('off', members, { enabled: false });
  await run('encrypted', members, { enabled: true, keys, listKey });
  await run('clear', members, { enabled: true, listKey });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
