import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { checkWritable, openDb, probeWrite, schemaVersion } from '../../../src/store/db';
import {
  REMIND_MS,
  dbHealth,
  dbOk,
  dbTrouble,
  isDbError,
  resetDbHealthForTests,
  setDbHealthLog,
} from '../../../src/store/db-health';
import { AppError } from '../../../src/errors';

function sqliteError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('store/db-health', () => {
  let now = 0;
  let lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const log = {
    warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', msg, fields }),
    info: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'info', msg, fields }),
  };

  beforeEach(() => {
    now = Date.parse('2026-03-10T09:30:00.000Z');
    lines = [];
    resetDbHealthForTests(() => now);
    setDbHealthLog(log as never);
  });

  after(() => {
    resetDbHealthForTests();
    setDbHealthLog(null);
  });

  it('is ok until a write fails', () => {
    assert.deepEqual(dbHealth(), { ok: true, since: null, code: null, detail: null });
  });

  it('turns red on a failed write, with the code, since when and where', () => {
    dbTrouble(sqliteError('SQLITE_FULL', 'database or disk is full'), 'pipeline');
    const h = dbHealth();
    assert.equal(h.ok, false);
    assert.equal(h.code, 'SQLITE_FULL');
    assert.equal(h.since, '2026-03-10T09:30:00.000Z');
    assert.match(h.detail!, /database or disk is full \(at pipeline, 1 failure\)/);
  });

  it('logs DB_TROUBLE once per state change and a reminder at most every REMIND_MS, not once per failure', () => {
    for (let i = 0; i < 50; i += 1) {
      dbTrouble(sqliteError('SQLITE_FULL', 'database or disk is full'), 'fetch');
      now += 100;
    }
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['DB_TROUBLE code=SQLITE_FULL where=fetch database or disk is full'],
    );
    now += REMIND_MS;
    dbTrouble(sqliteError('SQLITE_FULL', 'database or disk is full'), 'fetch');
    assert.equal(lines.length, 2);
    assert.match(lines[1]!.msg, /^DB_TROUBLE code=SQLITE_FULL where=fetch still failing since .* \(51 failures\)$/);
    // Another code is a change of state: logged at once.
    dbTrouble(sqliteError('SQLITE_READONLY', 'attempt to write a readonly database'), 'deliver.mark');
    assert.equal(lines.length, 3);
    assert.match(lines[2]!.msg, /^DB_TROUBLE code=SQLITE_READONLY where=deliver.mark /);
    assert.ok(lines.every((l) => l.level === 'warn'));
  });

  it('turns green on the next successful write and logs DB_OK once', () => {
    dbTrouble(sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'), 'fetch');
    now += 12_000;
    dbOk();
    dbOk();
    assert.deepEqual(dbHealth(), { ok: true, since: null, code: null, detail: null });
    assert.equal(lines.length, 2);
    assert.match(
      lines[1]!.msg,
      /^DB_OK writes succeed again after 12 s of SQLITE_IOERR_WRITE \(1 failure, last at fetch\)$/,
    );
    // And a new failure is a new state: logged again.
    dbTrouble(sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'), 'fetch');
    assert.equal(lines.length, 3);
  });

  it('tells SQLite errors from others', () => {
    assert.equal(isDbError(sqliteError('SQLITE_BUSY', 'database is locked')), true);
    assert.equal(isDbError(new Error('connection closed')), false);
    assert.equal(isDbError(Object.assign(new Error('x'), { code: 'ECONNRESET' })), false);
  });
});

describe('store/db: the test write at start', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-list-dbh-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('probeWrite commits a write that changes nothing: the log grows, user_version stays', () => {
    const file = path.join(dir, 'x.sqlite');
    const db = openDb(file);
    db.pragma('user_version = 7');
    db.pragma('wal_checkpoint(TRUNCATE)');
    assert.equal(fs.statSync(`${file}-wal`).size, 0);
    probeWrite(db);
    assert.ok(fs.statSync(`${file}-wal`).size > 0, 'a frame was appended to the log');
    assert.equal(schemaVersion(db), 7);
    checkWritable(db, file);
    assert.equal(fs.statSync(`${file}-wal`).size > 0, true);
    db.close();
  });

  it('a database that cannot be written is DB_NOT_WRITABLE, naming the file', () => {
    const file = path.join(dir, 'x.sqlite');
    openDb(file).close();
    const ro = new Database(file, { readonly: true });
    assert.throws(
      () => checkWritable(ro, file),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === 'DB_NOT_WRITABLE' &&
        err.message.includes(file) &&
        /SQLITE_READONLY/.test(err.message),
    );
    ro.close();
  });
});
