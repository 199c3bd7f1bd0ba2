/**
 * What the operator is told when the database cannot be opened (store/db.ts openError): only a
 * file that is not a database, or a damaged one, gets "move it away to start empty"; one this user
 * cannot open or write is DB_NOT_WRITABLE, naming each file with its owner and mode.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../src/errors';
import { openDb, openError } from '../../../src/store/db';

describe('store/db: a database that cannot be opened', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-dbopen-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('not a database: DB_UNREADABLE, restore it or move it away', () => {
    const file = path.join(dir, 'embargo-list.sqlite');
    fs.writeFileSync(file, 'this is not an SQLite file, but long enough to have a header of one.\n'.repeat(20));
    assert.throws(
      () => openDb(file),
      (e: AppError) =>
        e.code === 'DB_UNREADABLE' && e.message.includes(file) && /move it away to start empty/.test(e.message),
    );
  });

  it('one SQLite cannot open (here a directory): DB_NOT_WRITABLE with the file, its owner and mode, never "start empty"', () => {
    const file = path.join(dir, 'embargo-list.sqlite');
    fs.mkdirSync(file, { mode: 0o750 });
    assert.throws(
      () => openDb(file),
      (e: AppError) =>
        e.code === 'DB_NOT_WRITABLE' &&
        e.message.includes(`${file} (a directory, owner uid ${fs.statSync(file).uid}`) &&
        /mode 0750/.test(e.message) &&
        /SQLITE_CANTOPEN/.test(e.message) &&
        !/start empty|move it away/.test(e.message),
    );
  });

  it('read-only and permission errors: DB_NOT_WRITABLE naming the database and its log with their owner and mode', () => {
    const file = path.join(dir, 'embargo-list.sqlite');
    fs.writeFileSync(file, '');
    fs.chmodSync(file, 0o444);
    fs.writeFileSync(`${file}-wal`, '');
    fs.chmodSync(`${file}-wal`, 0o600);
    for (const code of ['SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_PERM']) {
      const err = Object.assign(new Error('attempt to write a readonly database'), { code });
      const e = openError(file, err);
      assert.equal(e.code, 'DB_NOT_WRITABLE', code);
      const { uid, gid } = fs.statSync(file);
      assert.ok(e.message.includes(`${file} (owner uid ${uid}, gid ${gid}, mode 0444)`), e.message);
      assert.ok(e.message.includes(`${file}-wal (owner uid ${uid}, gid ${gid}, mode 0600)`), e.message);
      assert.doesNotMatch(e.message, /start empty|move it away/);
    }
    const corrupt = openError(
      file,
      Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' }),
    );
    assert.equal(corrupt.code, 'DB_UNREADABLE');
    assert.match(corrupt.message, /restore it from a backup, or move it away to start empty/);
  });
});
