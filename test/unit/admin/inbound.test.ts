/**
 * embargo-list inbound list --quarantined | retry ID, through the real command line (cli main):
 * a message that crashed the daemon is listed, put back, and handled by the daemon's retry runner.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext } from '../../../src/app';
import { main } from '../../../src/cli';
import { loadConfig } from '../../../src/config';
import type { Context } from '../../../src/context';
import { MAX_ATTEMPTS, processRaw, processRetried, RetryRunner } from '../../../src/runners/pipeline';
import { findInbound, getInbound, recordInbound } from '../../../src/store/inbound';
import { upsertMember } from '../../../src/store/members';
import { makeMessage } from '../../helpers/mail-factory';
import { waitUntil } from '../../helpers/wait';

const LIST = 'security@lists.example.org';
const MEMBERS = ['psirt@alpha.example', 'security@beta.example'];

const config = (dir: string) => `list:
  name: Inbound Test List
  address: ${LIST}
  requestsAddress: security-requests@lists.example.org
  moderators: [mods@example.org]
dataDir: ${dir}/data
inbound: { maildir: ${dir}/inbox }
outbound: { directory: ${dir}/outbox }
security: { requireAuthenticatedPosts: false, verifyDkim: false }
policy: { membersMayOpenThreads: true }
log: { level: fatal, format: json }
`;

describe('admin/inbound: the inbound command', () => {
  let dir: string;
  let file: string;
  let ctx: Context;
  let savedSudoUser: string | undefined;

  /** Runs one command line; returns its exit code and what it printed. */
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const realOut = process.stdout.write;
    const realErr = process.stderr.write;
    const umask = process.umask();
    let out = '';
    let err = '';
    const capture =
      (to: 'out' | 'err') =>
      (chunk: string | Uint8Array): boolean => {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        if (to === 'out') out += text;
        else err += text;
        return true;
      };
    process.stdout.write = capture('out') as typeof process.stdout.write;
    process.stderr.write = capture('err') as typeof process.stderr.write;
    try {
      const code = await main(['node', 'embargo-list', '--config', file, ...args]);
      return { code, out, err };
    } finally {
      process.stdout.write = realOut;
      process.stderr.write = realErr;
      process.umask(umask);
    }
  }

  /** A member's post whose handling killed the daemon MAX_ATTEMPTS times: quarantined at the next start. */
  async function quarantineCrasher(ref: string, messageId: string): Promise<number> {
    const raw = makeMessage({ from: MEMBERS[0]!, to: LIST, subject: 'Crasher', messageId });
    for (let i = 1; i <= MAX_ATTEMPTS; i += 1)
      recordInbound(ctx.db, ref, raw, ctx.clock().toISOString(), { id: `gone.example:${i}:x`, alive: () => false });
    const result = await processRaw(ctx, ref, raw);
    assert.equal(result.status, 'quarantined');
    return result.inboundId;
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-inbound-'));
    file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, config(dir));
    ctx = createContext(loadConfig(file));
    for (const m of MEMBERS) upsertMember(ctx.db, m, m.split('@')[1]!, ctx.clock().toISOString());
    savedSudoUser = process.env.SUDO_USER;
    process.env.SUDO_USER = 'inbound-test-operator';
  });

  afterEach(() => {
    if (savedSudoUser === undefined) delete process.env.SUDO_USER;
    else process.env.SUDO_USER = savedSudoUser;
    if (ctx.db.open) ctx.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the quarantined messages with when, code, sender, subject and Message-ID', async () => {
    const id = await quarantineCrasher('maildir:1', '<crash-1@alpha.example>');
    const handled = await processRaw(ctx, 'maildir:2', makeMessage({ from: MEMBERS[1]!, to: LIST }));
    assert.equal(handled.status, 'processed');
    const when = getInbound(ctx.db, id)!.processed_at;

    const text = await cli('inbound', 'list', '--quarantined');
    assert.equal(text.code, 0);
    assert.equal(
      text.out,
      `${id}\t${when}\tMESSAGE_TOO_MANY_ATTEMPTS\t${MEMBERS[0]}\tCrasher\t<crash-1@alpha.example>\n1 quarantined\n`,
    );
    const json = JSON.parse((await cli('inbound', 'list', '--quarantined', '--json')).out) as Record<string, unknown>[];
    assert.deepEqual(
      json.map((r) => [r.id, r.status, r.code, r.from, r.subject, r.messageId, r.crashes]),
      [
        [
          id,
          'quarantined',
          'MESSAGE_TOO_MANY_ATTEMPTS',
          MEMBERS[0],
          'Crasher',
          '<crash-1@alpha.example>',
          MAX_ATTEMPTS,
        ],
      ],
    );
  });

  it('puts a quarantined message back, audited, and the running daemon handles it: relayed to the members', async () => {
    const id = await quarantineCrasher('maildir:1', '<crash-2@alpha.example>');
    const relayBefore = () =>
      ctx.db
        .prepare("SELECT count(*) FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE m.purpose = 'relay'")
        .pluck()
        .get() as number;
    assert.equal(relayBefore(), 0);

    const done = await cli('inbound', 'retry', String(id));
    assert.equal(done.code, 0, done.err);
    assert.match(done.out, new RegExp(`^inbound message ${id} \\(MESSAGE_TOO_MANY_ATTEMPTS\\) put back`));
    const back = getInbound(ctx.db, id)!;
    assert.deepEqual(
      [back.status, back.crashes, back.error_code, back.retry_requested_at !== null],
      ['received', 0, null, true],
    );
    const audit = ctx.db
      .prepare("SELECT actor, object, message_id, detail FROM audit WHERE action = 'inbound.retry'")
      .all() as { actor: string; object: string; message_id: string; detail: string }[];
    assert.equal(audit.length, 1);
    assert.match(audit[0]!.actor, /^cli:inbound-test-operator/);
    assert.deepEqual(
      [audit[0]!.object, audit[0]!.message_id, JSON.parse(audit[0]!.detail).code],
      [`inbound:${id}`, '<crash-2@alpha.example>', 'MESSAGE_TOO_MANY_ATTEMPTS'],
    );
    assert.match((await cli('inbound', 'list')).out, /0 quarantined, 1 not handled yet\n$/);

    // The daemon's side: its retry runner finds the message in the database and handles it.
    const runner = new RetryRunner(ctx);
    runner.start();
    try {
      await waitUntil(() => getInbound(ctx.db, id)!.status !== 'received', { what: 'the retried message handled' });
    } finally {
      await runner.stop();
    }
    const after = getInbound(ctx.db, id)!;
    assert.deepEqual(
      [after.status, after.outcome, after.retry_requested_at, after.attempt_owner],
      ['processed', 'relay', null, null],
    );
    assert.equal(relayBefore(), MEMBERS.length);
    // Handled once: nothing is left to retry, and a second pass does nothing.
    assert.equal(await processRetried(ctx), 0);
    assert.equal(relayBefore(), MEMBERS.length);
  });

  it('refuses a message that is not in quarantine, one that does not exist, and a word, with exit code 1', async () => {
    const handled = await processRaw(ctx, 'maildir:9', makeMessage({ from: MEMBERS[1]!, to: LIST }));
    assert.equal(handled.status, 'processed');

    const processed = await cli('inbound', 'retry', String(handled.inboundId));
    assert.equal(processed.code, 1);
    assert.match(
      processed.err,
      new RegExp(
        `^embargo-list: INBOUND_NOT_QUARANTINED inbound message ${handled.inboundId} is not in quarantine: it was handled \\(relay\\)`,
      ),
    );
    assert.equal(findInbound(ctx.db, 'maildir:9')!.status, 'processed');

    const missing = await cli('inbound', 'retry', '4242');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^embargo-list: INBOUND_NOT_FOUND there is no inbound message 4242/);

    const word = await cli('inbound', 'retry', 'latest');
    assert.equal(word.code, 1);
    assert.match(word.err, /^embargo-list: INPUT_UNREADABLE "latest" is not an inbound message number/);

    assert.equal(ctx.db.prepare("SELECT count(*) FROM audit WHERE action = 'inbound.retry'").pluck().get(), 0);
  });

  it('refuses a message already put back and not yet handled', async () => {
    const id = await quarantineCrasher('maildir:1', '<crash-3@alpha.example>');
    assert.equal((await cli('inbound', 'retry', String(id))).code, 0);
    const twice = await cli('inbound', 'retry', String(id));
    assert.equal(twice.code, 1);
    assert.match(twice.err, /INBOUND_NOT_QUARANTINED .* waiting to be handled \(retry requested /);
  });
});
