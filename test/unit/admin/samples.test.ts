/**
 * The sample messages of samples/ (the README's trial): each ingested on the embedded default
 * configuration, in a data directory of its own, does what the trial says.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../src/config';
import type { Context } from '../../../src/context';
import { runIngest } from '../../../src/admin/ingest';
import { loadTemplates } from '../../../src/mail/templates';
import { dbFile, migrate, openDb } from '../../../src/store/db';
import { upsertMember } from '../../../src/store/members';
import { shipped } from '../../../src/paths';

const SAMPLES = shipped('samples');

/** The disclosure's Embargo line set a week ahead, as the README's trial does with sed. */
export function withEmbargoAhead(raw: string, now: Date): string {
  const end = new Date(now.getTime() + 7 * 86_400_000).toISOString().slice(0, 16).replace('T', ' ');
  return raw.replace(/^Embargo: .*$/m, `Embargo: ${end} UTC`);
}

describe('samples/ for the trial', () => {
  let dir: string;
  let ctx: Context;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-list-samples-'));
    const { config } = loadConfig(undefined, {});
    config.dataDir = path.join(dir, 'data');
    config.inbound.maildir = path.join(dir, 'data/mail/inbox');
    config.outbound.directory = path.join(dir, 'data/mail/outbox');
    const db = openDb(dbFile(config.dataDir));
    migrate(db);
    ctx = {
      config,
      db,
      log: pino({ level: 'silent' }),
      clock: () => new Date(),
      templates: loadTemplates(),
      outboxChanged: () => undefined,
    };
    upsertMember(db, 'alice@member.example', 'Member Corp', new Date().toISOString());
  });
  afterEach(() => {
    ctx.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sample = (name: string) => path.join(SAMPLES, name);
  const count = (sql: string, ...args: unknown[]) =>
    ctx.db
      .prepare(sql)
      .pluck()
      .get(...args) as number;

  it('ships the four messages, each with the headers RFC 5322 requires (From, Date) and a Message-ID', () => {
    for (const name of ['join-request.eml', 'disclosure.eml', 'ack.eml', 'leak.eml']) {
      const raw = fs.readFileSync(sample(name), 'utf8');
      const header = raw.slice(0, raw.indexOf('\n\n'));
      assert.match(header, /^From: .+<[^@\s]+@[^>\s]+>$/m, name);
      assert.match(header, /^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/m, name);
      assert.match(header, /^Message-ID: <[^>\s]+@[^>\s]+>$/m, name);
      assert.ok(!/[^\t\n -~]/.test(raw), `${name}: 7-bit text only`);
    }
  });

  it('join-request.eml records a pending request with the alias and all five answers, and mails the moderators', async () => {
    await runIngest(ctx, [sample('join-request.eml')]);
    const row = ctx.db.prepare('SELECT * FROM requests').get() as Record<string, unknown>;
    assert.ok(row, 'a request row');
    assert.equal(count('SELECT count(*) FROM requests'), 1);
    assert.match(JSON.stringify(row), /security@seven-corp\.example/);
    assert.equal(row.state, 'moderation');
    assert.equal(row.accepts_embargo, 1);
    assert.deepEqual(JSON.parse(row.missing as string), []);
    assert.equal(Object.keys(JSON.parse(row.answers as string) as object).length, 5);
    const outbox = fs.readdirSync(path.join(dir, 'data/mail/outbox')).filter((f) => f.endsWith('.eml'));
    const toModerators = outbox.filter((f) =>
      /^X-Envelope-To: <security@example\.org>/m.test(fs.readFileSync(path.join(dir, 'data/mail/outbox', f), 'utf8')),
    );
    assert.ok(toModerators.length >= 1, 'the moderators are told');
  });

  it('disclosure.eml (its Embargo line a week ahead) opens #1; ack.eml records the receipt; leak.eml records a report', async () => {
    const disclosure = path.join(dir, 'disclosure.eml');
    fs.writeFileSync(disclosure, withEmbargoAhead(fs.readFileSync(sample('disclosure.eml'), 'utf8'), new Date()));
    await runIngest(ctx, [disclosure]);
    assert.equal(count('SELECT count(*) FROM disclosures'), 1);
    assert.equal(count('SELECT count(*) FROM receipts WHERE acked_at IS NULL'), 1);
    await runIngest(ctx, [sample('ack.eml')]);
    assert.equal(count('SELECT count(*) FROM receipts WHERE acked_at IS NOT NULL'), 1);
    assert.equal(count("SELECT count(*) FROM audit WHERE action = 'disclosure.ack'"), 1);
    await runIngest(ctx, [sample('leak.eml')]);
    assert.equal(count('SELECT count(*) FROM leaks'), 1);
    assert.match(JSON.stringify(ctx.db.prepare('SELECT * FROM leaks').get()), /patch diff for 1\.2\.4/);
  });

  it('disclosure.eml as shipped (an end beyond policy.maxEmbargoDays) opens nothing: it is returned to its author', async () => {
    await runIngest(ctx, [sample('disclosure.eml')]);
    assert.equal(count('SELECT count(*) FROM disclosures'), 0);
    const outbox = fs.readdirSync(path.join(dir, 'data/mail/outbox')).filter((f) => f.endsWith('.eml'));
    assert.ok(
      outbox.some((f) =>
        /^Subject: .*Not sent: CVE-2099-0001/m.test(fs.readFileSync(path.join(dir, 'data/mail/outbox', f), 'utf8')),
      ),
      'a "Not sent" mail to the author',
    );
  });
});
