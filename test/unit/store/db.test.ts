import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src/errors';
import { appendAudit, listAudit } from '../../../src/store/audit';
import {
  dbFile,
  loadMigrations,
  migrate,
  MIGRATIONS_DIR as SRC_MIGRATIONS_DIR,
  hasUnsyncedWork,
  noteSynced,
  openDb,
  relaxed,
  RELAXED_SYNC_EVERY,
  schemaVersion,
  transaction,
  unsynced,
  type Db,
} from '../../../src/store/db';
import { MIGRATIONS_DIR, migratedMemoryDb } from '../../helpers/context';

function isAppError(code: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AppError, `an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

function tables(db: Db): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
}

describe('store/db', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-db-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('migrations', () => {
    it('finds the shipped migrations/ directory by default', () => {
      assert.equal(SRC_MIGRATIONS_DIR, MIGRATIONS_DIR);
      assert.deepEqual(
        loadMigrations().map((m) => m.version),
        loadMigrations(MIGRATIONS_DIR).map((m) => m.version),
      );
    });

    it('loads the numbered migrations in order, starting at 1', () => {
      const ms = loadMigrations(MIGRATIONS_DIR);
      assert.ok(ms.length >= 1);
      ms.forEach((m, i) => assert.equal(m.version, i + 1));
      assert.equal(ms[0]!.name, '0001-init.sql');
    });

    it('brings a new database to the newest version and creates the tables', () => {
      const db = openDb(':memory:');
      const ms = loadMigrations(MIGRATIONS_DIR);
      assert.equal(schemaVersion(db), 0);
      assert.deepEqual(
        migrate(db, ms),
        ms.map((m) => m.version),
      );
      assert.equal(schemaVersion(db), ms.length);
      for (const t of ['audit', 'imap_checkpoint', 'inbound', 'members', 'outbox', 'outbox_message'])
        assert.ok(tables(db).includes(t), t);
    });

    it('applies nothing to a database that is already current', () => {
      const db = migratedMemoryDb();
      assert.deepEqual(migrate(db, loadMigrations(MIGRATIONS_DIR)), []);
    });

    it('applies only the migrations newer than the database', () => {
      const dir = tmp();
      fs.writeFileSync(path.join(dir, '0001-a.sql'), 'CREATE TABLE a (x INTEGER);');
      fs.writeFileSync(path.join(dir, '0002-b.sql'), 'CREATE TABLE b (x INTEGER);');
      const db = openDb(':memory:');
      migrate(db, loadMigrations(dir).slice(0, 1));
      assert.deepEqual(migrate(db, loadMigrations(dir)), [2]);
      assert.deepEqual(tables(db), ['a', 'b']);
    });

    it('refuses a database written by a newer version with DB_TOO_NEW, and changes nothing', () => {
      const db = openDb(':memory:');
      db.pragma('user_version = 99');
      assert.throws(() => migrate(db, loadMigrations(MIGRATIONS_DIR)), isAppError('DB_TOO_NEW'));
      assert.equal(schemaVersion(db), 99);
      assert.deepEqual(tables(db), []);
    });

    it('rolls back a failing migration whole and reports DB_MIGRATION_FAILED naming it', () => {
      const dir = tmp();
      fs.writeFileSync(path.join(dir, '0001-good.sql'), 'CREATE TABLE good (x INTEGER);');
      fs.writeFileSync(path.join(dir, '0002-bad.sql'), 'CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;');
      const db = openDb(':memory:');
      assert.throws(
        () => migrate(db, loadMigrations(dir)),
        (err: unknown) => isAppError('DB_MIGRATION_FAILED')(err) && /0002-bad\.sql/.test((err as Error).message),
      );
      assert.equal(schemaVersion(db), 1);
      assert.deepEqual(tables(db), ['good']);
    });

    it('refuses migrations that are out of sequence', () => {
      const dir = tmp();
      fs.writeFileSync(path.join(dir, '0001-a.sql'), 'SELECT 1;');
      fs.writeFileSync(path.join(dir, '0003-c.sql'), 'SELECT 1;');
      assert.throws(() => loadMigrations(dir), isAppError('DB_MIGRATION_FAILED'));
    });

    it('ignores files that are not numbered .sql migrations', () => {
      const dir = tmp();
      fs.writeFileSync(path.join(dir, '0001-a.sql'), 'SELECT 1;');
      fs.writeFileSync(path.join(dir, 'README.md'), '#');
      fs.writeFileSync(path.join(dir, '0002-b.sql.orig'), 'SELECT 1;');
      assert.deepEqual(
        loadMigrations(dir).map((m) => m.name),
        ['0001-a.sql'],
      );
    });
  });

  describe('openDb', () => {
    it('creates the data directory and opens the file with foreign keys on and WAL', () => {
      const file = dbFile(path.join(tmp(), 'nested', 'data'));
      const db = openDb(file);
      try {
        assert.ok(fs.existsSync(file));
        assert.equal(path.basename(file), 'embargo-list.sqlite');
        assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        db.close();
      }
    });

    it('keeps data across a close and a reopen', () => {
      const file = dbFile(tmp());
      const first = openDb(file);
      migrate(first, loadMigrations(MIGRATIONS_DIR));
      appendAudit(first, { at: '2026-01-01T00:00:00.000Z', actor: 'test', action: 'x' });
      first.close();
      const second = openDb(file);
      try {
        assert.deepEqual(migrate(second, loadMigrations(MIGRATIONS_DIR)), []);
        assert.equal(listAudit(second).length, 1);
      } finally {
        second.close();
      }
    });
  });

  describe('transaction', () => {
    it('commits everything the function wrote and returns its value', () => {
      const db = migratedMemoryDb();
      const value = transaction(db, () => {
        appendAudit(db, { at: 't', actor: 'a', action: 'one' });
        appendAudit(db, { at: 't', actor: 'a', action: 'two' });
        return 42;
      });
      assert.equal(value, 42);
      assert.equal(listAudit(db).length, 2);
    });

    it('rolls back everything the function wrote when it throws', () => {
      const db = migratedMemoryDb();
      assert.throws(
        () =>
          transaction(db, () => {
            appendAudit(db, { at: 't', actor: 'a', action: 'one' });
            throw new Error('boom');
          }),
        /boom/,
      );
      assert.equal(listAudit(db).length, 0);
    });
  });

  describe('audit', () => {
    it('appends entries with their detail as JSON, newest first in the listing', () => {
      const db = migratedMemoryDb();
      appendAudit(db, {
        at: '2026-01-01T00:00:00.000Z',
        actor: 'alice@member.example',
        action: 'post.relay',
        object: 'inbound:1',
        messageId: '<m@x>',
        detail: { recipients: 3 },
      });
      appendAudit(db, { at: '2026-01-01T00:00:01.000Z', actor: 'daemon', action: 'inbound.quarantine' });
      const rows = listAudit(db);
      assert.deepEqual(
        rows.map((r) => r.action),
        ['inbound.quarantine', 'post.relay'],
      );
      assert.deepEqual(JSON.parse(rows[1]!.detail!), { recipients: 3 });
      assert.equal(rows[0]!.object, null);
      assert.equal(rows[0]!.detail, null);
    });

    it('refuses to change an audit entry: it is append-only', () => {
      const db = migratedMemoryDb();
      appendAudit(db, { at: 't', actor: 'a', action: 'post.relay' });
      assert.throws(() => db.prepare("UPDATE audit SET action = 'forged'").run(), /append-only/);
      assert.equal(listAudit(db)[0]!.action, 'post.relay');
    });

    it('refuses to delete an audit entry: it is append-only', () => {
      const db = migratedMemoryDb();
      appendAudit(db, { at: 't', actor: 'a', action: 'post.relay' });
      assert.throws(() => db.prepare('DELETE FROM audit').run(), /append-only/);
      assert.equal(listAudit(db).length, 1);
    });
  });

  describe("relaxed (synchronous=NORMAL for the deliverer's claims and marks)", () => {
    const sync = (db: Db): number => db.pragma('synchronous', { simple: true }) as number;
    const FULL = 2;
    const NORMAL = 1;

    it('opens every connection with synchronous=FULL, so that a handled message survives a power cut', () => {
      const db = openDb(dbFile(tmp()));
      assert.equal(sync(db), FULL);
      db.close();
    });

    it('runs the function with NORMAL and puts FULL back afterwards', () => {
      const db = openDb(dbFile(tmp()));
      relaxed(db, () => undefined); // the counter's first turn
      const seen = relaxed(db, () => sync(db));
      assert.equal(seen, NORMAL);
      assert.equal(sync(db), FULL);
      db.close();
    });

    it('knows when unsynced commits wait for a FULL one: a relaxed commit is not such work, a FULL transaction syncs it', () => {
      const db = openDb(dbFile(tmp()));
      db.exec('CREATE TABLE t (x INTEGER)');
      const insert = () => transaction(db, () => db.prepare('INSERT INTO t VALUES (1)').run());
      assert.equal(hasUnsyncedWork(db), false);
      relaxed(db, insert);
      relaxed(db, insert);
      assert.equal(hasUnsyncedWork(db), false, "the deliverer's own commits are not waited for");
      unsynced(db, insert);
      assert.equal(hasUnsyncedWork(db), true, 'an IMAP batch handled unsynced');
      relaxed(db, insert);
      assert.equal(hasUnsyncedWork(db), true, 'a relaxed (NORMAL) commit does not sync it');
      unsynced(db, () => transaction(db, () => undefined));
      assert.equal(hasUnsyncedWork(db), true, 'nor does a transaction inside unsynced()');
      transaction(db, () => db.prepare('SELECT count(*) FROM t').get());
      assert.equal(hasUnsyncedWork(db), true, 'a read-only transaction writes no frame and syncs nothing');
      insert();
      assert.equal(hasUnsyncedWork(db), false, 'a FULL transaction that writes syncs every commit before it');
      unsynced(db, insert);
      noteSynced(db);
      assert.equal(hasUnsyncedWork(db), false, 'nor after a FULL commit made elsewhere (a claim)');
      db.close();
    });

    it('puts FULL back when the function throws', () => {
      const db = openDb(dbFile(tmp()));
      assert.throws(() => relaxed(db, () => assert.fail('boom')), /boom/);
      assert.throws(() => relaxed(db, () => assert.fail('boom')), /boom/);
      assert.equal(sync(db), FULL);
      db.close();
    });

    it('keeps FULL for one call in RELAXED_SYNC_EVERY, which syncs the log and bounds what a power cut takes back', () => {
      const db = openDb(dbFile(tmp()));
      const seen: number[] = [];
      for (let i = 0; i < 3 * RELAXED_SYNC_EVERY; i += 1) seen.push(relaxed(db, () => sync(db)));
      assert.equal(seen.filter((s) => s === FULL).length, 3);
      assert.equal(seen.filter((s) => s === NORMAL).length, 3 * RELAXED_SYNC_EVERY - 3);
      db.close();
    });

    it('changes nothing inside a transaction, whose commit keeps FULL', () => {
      const db = openDb(dbFile(tmp()));
      const seen = transaction(db, () => [relaxed(db, () => sync(db)), relaxed(db, () => sync(db))]);
      assert.deepEqual(seen, [FULL, FULL]);
      assert.equal(sync(db), FULL);
      db.close();
    });
  });
});
