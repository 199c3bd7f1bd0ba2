import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { explain } from '../../../src/admin/explain';
import type { Config } from '../../../src/config';
import { loadTemplates } from '../../../src/mail/templates';
import { dbFile, loadMigrations, migrate, openDb } from '../../../src/store/db';
import { MIGRATIONS_DIR, MODERATORS, TEMPLATES_DIR, testConfig, trustedAuthConfig } from '../../helpers/context';
import {
  authenticated,
  joinRequest,
  Membership,
  MODERATOR,
  MODERATOR_DOMAIN,
  policyExample,
  reply,
  type Sent,
} from '../../helpers/membership';

const templates = loadTemplates(TEMPLATES_DIR);
const log = pino({ level: 'silent' });

/** Every file under dir with its bytes' hash. */
function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    out[name] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(dir, name)))
      .digest('hex');
  }
  return out;
}

describe('admin/explain', () => {
  let dir: string;
  let config: Config;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-explain-'));
    config = { ...testConfig(trustedAuthConfig()), dataDir: path.join(dir, 'data') };
    fs.mkdirSync(config.dataDir);
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function write(name: string, raw: Buffer): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, raw);
    return file;
  }

  /**
   * A database file with one join request in it, made by the pipeline with the real clock (explain
   * judges tokens by the real clock). Returns the moderators' mail about it.
   */
  async function databaseWithRequest(): Promise<Sent> {
    const db = openDb(dbFile(config.dataDir));
    migrate(db, loadMigrations(MIGRATIONS_DIR));
    const h = new Membership(trustedAuthConfig(), { db, config, clock: () => new Date() });
    const moderation = await h.submit(joinRequest());
    db.close();
    return moderation;
  }

  it('reads the policy example as a join request and shows what it extracted', async () => {
    const out = await explain(config, log, templates, write('request.eml', policyExample()));
    assert.equal(out.kind, 'join-request');
    const request = out.request as Record<string, unknown>;
    assert.equal(request.organization, 'Seven-Corp');
    assert.equal(request.alias, 'istio-security-team@example.com');
    assert.deepEqual(Object.keys(request.answers as object), ['1', '2', '3', '4', '5']);
    assert.equal((request.answers as Record<string, string>)['5'], 'We accept.');
    assert.deepEqual(request.missing, []);
    assert.equal(request.acceptsEmbargo, true);
    const findings = request.aliasFindings as { code: string; severity: string; message: string }[];
    assert.deepEqual(
      findings.map((f) => [f.code, f.severity]),
      [['ALIAS_FREEMAIL', 'block']],
    );
    assert.match(findings[0]!.message, /example\.com, a free-mail provider/);
    assert.equal(out.command, undefined, 'no keyword, no command');
  });

  it('does not create a database file when there is none', async () => {
    await explain(config, log, templates, write('request.eml', policyExample()));
    assert.deepEqual(fs.readdirSync(config.dataDir), []);
  });

  it('does not create the data directory when there is none', async () => {
    const missing = { ...config, dataDir: path.join(dir, 'not-yet') };
    await explain(missing, log, templates, write('request.eml', policyExample()));
    assert.equal(fs.existsSync(missing.dataDir), false);
  });

  it("reads a moderator's authenticated APPROVE as a moderator command and shows the three conditions", async () => {
    const moderation = await databaseWithRequest();
    const file = write(
      'approve.eml',
      reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n', auth: authenticated(MODERATOR_DOMAIN) }),
    );
    const out = await explain(config, log, templates, file);
    assert.equal(out.kind, 'moderator-command');
    assert.deepEqual(out.command, { keyword: 'APPROVE', argument: null });
    const auth = out.auth as {
      moderator: boolean;
      token: { state: string; request: number | null };
      authenticated: boolean;
      method: string | null;
    };
    assert.equal(auth.moderator, true);
    assert.equal(auth.token.state, 'valid');
    assert.equal(auth.token.request, 1);
    assert.equal(auth.authenticated, true);
    assert.equal(auth.method, 'authentication-results');
  });

  it('shows a forged APPROVE as not authenticated', async () => {
    const moderation = await databaseWithRequest();
    const out = await explain(
      config,
      log,
      templates,
      write('forged.eml', reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n' })),
    );
    assert.equal(out.kind, 'moderator-command');
    const auth = out.auth as { moderator: boolean; token: { state: string }; authenticated: boolean };
    assert.deepEqual([auth.moderator, auth.token.state, auth.authenticated], [true, 'valid', false]);
  });

  it('changes nothing in an existing database, whatever it explains', async () => {
    const moderation = await databaseWithRequest();
    const before = snapshotDir(config.dataDir);
    const files = [
      write('request.eml', policyExample()),
      write(
        'approve.eml',
        reply({ from: MODERATOR, to: moderation, body: 'APPROVE\n', auth: authenticated(MODERATOR_DOMAIN) }),
      ),
      write(
        'reject.eml',
        reply({ from: MODERATORS[1]!, to: moderation, body: 'REJECT no\n', auth: authenticated(MODERATOR_DOMAIN) }),
      ),
    ];
    for (const file of files) await explain(config, log, templates, file);
    const after = snapshotDir(config.dataDir);
    assert.equal(
      after['embargo-list.sqlite'],
      before['embargo-list.sqlite'],
      'the database file is byte for byte the same',
    );
    // A read-only connection to a WAL database may leave an empty -wal (and its -shm index) behind.
    const wal = path.join(config.dataDir, 'embargo-list.sqlite-wal');
    if (fs.existsSync(wal)) assert.equal(fs.statSync(wal).size, 0, 'nothing was written to the WAL');
    const db = openDb(dbFile(config.dataDir));
    try {
      assert.deepEqual(db.prepare('SELECT id, state FROM requests').all(), [{ id: 1, state: 'moderation' }]);
      assert.equal(db.prepare('SELECT count(*) FROM inbound').pluck().get(), 1);
      assert.equal(db.prepare('SELECT count(*) FROM tokens WHERE used_at IS NOT NULL').pluck().get(), 0);
    } finally {
      db.close();
    }
  });

  it('refuses a database at another schema version with a coded error, and leaves it as it was', async () => {
    const db = openDb(dbFile(config.dataDir));
    migrate(db, loadMigrations(MIGRATIONS_DIR).slice(0, 1));
    db.close();
    const before = snapshotDir(config.dataDir);
    await assert.rejects(
      explain(config, log, templates, write('request.eml', policyExample())),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'DB_NOT_MIGRATED', `got ${err.name}: ${err.message}`);
        assert.match(err.message, /schema version 1.*run "embargo-list migrate"/);
        return true;
      },
    );
    const after = snapshotDir(config.dataDir);
    assert.equal(
      after['embargo-list.sqlite'],
      before['embargo-list.sqlite'],
      'the database file is byte for byte the same',
    );
    const wal = path.join(config.dataDir, 'embargo-list.sqlite-wal');
    if (fs.existsSync(wal)) assert.equal(fs.statSync(wal).size, 0, 'nothing was written to the WAL');
  });

  it('reports a file it cannot read as INPUT_UNREADABLE', async () => {
    await assert.rejects(explain(config, log, templates, path.join(dir, 'missing.eml')), { code: 'INPUT_UNREADABLE' });
  });
});
