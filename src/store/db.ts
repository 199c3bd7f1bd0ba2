/**
 * The SQLite database: opened in WAL mode, migrated to the newest schema, and a transaction
 * helper. Plain functions that take the db live beside this file, one module per table.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors';
import { shipped } from '../paths';

export type Db = Database.Database;

/**
 * Bytes the write-ahead log is truncated to after a checkpoint: SQLite's automatic checkpoint
 * runs at 1000 pages (4 MiB), so the log peaks a little above that and comes back to this.
 */
export const JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024;

export const MIGRATIONS_DIR = shipped('migrations');
export const DB_FILE_NAME = 'embargo-list.sqlite';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Opens (creating if need be) the database. A data directory that cannot be created or written is
 * DATA_DIR_UNWRITABLE, a file SQLite cannot read (not a database, corrupt) is DB_UNREADABLE, one
 * this user cannot open or write is DB_NOT_WRITABLE (see openError): each names the path, and each
 * is a configuration error (restarting fixes none).
 */
export function openDb(file: string): Db {
  if (file !== ':memory:') checkDataDir(path.dirname(file), { create: true });
  let db: Db | undefined;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    // FULL: a committed transaction survives a power cut, not only a killed process.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // The write-ahead log is cut back to this size whenever a checkpoint resets it (the periodic
    // wal_checkpoint(TRUNCATE) job, jobs/checkpoint, empties it): without it the log keeps the
    // largest size it ever reached, disk space the database itself cannot use.
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    // Reads the schema: a file that is not a database, or a damaged one, fails here and not later.
    db.pragma('schema_version', { simple: true });
    return db;
  } catch (err) {
    db?.close();
    // A lock held by another process is temporary, not a damaged file.
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw err;
    throw openError(file, err);
  }
}

/** The files of a database in WAL mode: the file, its log and its shared memory. */
const dbFiles = (file: string): string[] => [file, `${file}-wal`, `${file}-shm`];

/** "/data/x.sqlite (owner uid 0, gid 0, mode 0644)" for each of the database's files that exists. */
function ownership(file: string): string {
  const shown: string[] = [];
  for (const f of dbFiles(path.resolve(file))) {
    try {
      const st = fs.statSync(f);
      shown.push(
        `${f} (${st.isDirectory() ? 'a directory, ' : ''}owner uid ${st.uid}, gid ${st.gid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`,
      );
    } catch {
      // Not there: nothing to say about it.
    }
  }
  return shown.length > 0 ? shown.join(', ') : `${path.resolve(file)} (absent)`;
}

/**
 * Why a database cannot be opened, and what to do. A file that is not a database, or a damaged
 * one, is DB_UNREADABLE with the advice to restore it or move it away. One this user may not
 * write or open (SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM: often a command run as root that
 * left root's files behind) is DB_NOT_WRITABLE with each file's owner and mode: its data is
 * fine, and starting empty would lose it. Exported for tests.
 */
export function openError(file: string, err: unknown): AppError {
  const code = String((err as { code?: string }).code ?? '');
  const message = (err as Error).message;
  const resolved = path.resolve(file);
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code))
    return new AppError(
      'DB_UNREADABLE',
      `the database ${resolved} cannot be opened: ${message}; restore it from a backup, or move it away to start empty`,
      { cause: err },
    );
  if (/^SQLITE_(FULL|IOERR)/.test(code) || /ENOSPC/.test(message))
    return new AppError(
      'DB_NOT_WRITABLE',
      `the database ${resolved} cannot be written: ${message} (${code}); ${spaceNote(file)}`,
      {
        cause: err,
      },
    );
  if (/^SQLITE_(READONLY|CANTOPEN|PERM)/.test(code))
    return new AppError(
      'DB_NOT_WRITABLE',
      `the database ${resolved} cannot be opened for writing by this user (uid ${process.getuid?.() ?? '?'}): ${message} (${code}); files: ${ownership(file)}; give them to the daemon's user (chown) or fix their mode; the data in them is kept`,
      { cause: err },
    );
  return new AppError('DB_UNREADABLE', `the database ${resolved} cannot be opened: ${message} (${code || 'no code'})`, {
    cause: err,
  });
}

/** Bytes this user may still write on the file system of path (statfs), or null when unknown. */
export function freeBytes(file: string): number | null {
  let dir = path.resolve(file);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    const st = fs.statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return null;
  }
}

/** Free space the daemon needs besides room for the database to grow: the log at its peak, and a checkpoint's. */
export const FREE_SPACE_NEEDED = 2 * JOURNAL_SIZE_LIMIT;

/** "12345 bytes free on the file system of /data; the daemon needs ...": for messages about a full disk. */
export function spaceNote(file: string): string {
  const dir = path.dirname(path.resolve(file));
  const free = freeBytes(dir);
  return `${free === null ? 'free space unknown' : `${free} bytes free`} on the file system of ${dir}; the daemon needs at least ${FREE_SPACE_NEEDED / 1048576} MiB free plus room for the database to grow (docs/operator-guide.md#disk-space)`;
}

/**
 * Empties the write-ahead log into the database and truncates it to zero bytes. busy: a reader
 * (another process) still used the log, so it was not emptied; the next run tries again.
 */
export function checkpointWal(db: Db): { busy: boolean; walPages: number; checkpointed: number } {
  const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
  return { busy: (r?.busy ?? 0) !== 0, walPages: r?.log ?? 0, checkpointed: r?.checkpointed ?? 0 };
}

/**
 * A real, committed write that changes nothing: PRAGMA user_version set to its own value in an
 * IMMEDIATE transaction. It takes the write lock and appends a frame to the write-ahead log, so a
 * read-only file, a read-only -shm or a full disk fails it with the SQLite error.
 */
export function probeWrite(db: Db): void {
  db.transaction(() => {
    const v = schemaVersion(db);
    db.pragma(`user_version = ${v}`);
  }).immediate();
}

/**
 * At the daemon's start: can this database be written? The log is emptied first (so that the
 * probe needs new disk space, as the work will), then probeWrite. A failure is DB_NOT_WRITABLE,
 * one line that names the files' owners and modes or the free space: a configuration error.
 */
export function checkWritable(db: Db, file: string): void {
  try {
    if (file !== ':memory:') checkpointWal(db);
    probeWrite(db);
  } catch (err) {
    const code = String((err as { code?: string }).code ?? '');
    const message = (err as Error).message;
    const resolved = path.resolve(file);
    if (/^SQLITE_(FULL|IOERR)/.test(code) || /ENOSPC/.test(message))
      throw new AppError(
        'DB_NOT_WRITABLE',
        `the database ${resolved} cannot be written: ${message} (${code}); ${spaceNote(file)}`,
        { cause: err },
      );
    if (/^SQLITE_(READONLY|CANTOPEN|PERM)/.test(code))
      throw new AppError(
        'DB_NOT_WRITABLE',
        `the database ${resolved} cannot be written by this process (uid ${process.getuid?.() ?? '?'}): ${message} (${code}); files: ${ownership(file)}; check their owner and mode, and that the file system is not mounted read-only; the data in them is kept`,
        { cause: err },
      );
    throw err;
  }
}

/**
 * Is dataDir a directory this process can write in (or can it be created)? create: make it.
 * Without create (check-config) nothing is changed: the nearest existing ancestor is checked.
 */
export function checkDataDir(dataDir: string, opts: { create?: boolean } = {}): void {
  const dir = path.resolve(dataDir);
  const fail = (why: string, cause?: unknown): never => {
    throw new AppError('DATA_DIR_UNWRITABLE', `dataDir ${dir} ${why}`, { cause });
  };
  if (opts.create) {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      fail(`cannot be created: ${(err as Error).message}`, err);
    }
  }
  let existing = dir;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  if (!fs.statSync(existing).isDirectory()) fail(`cannot be created: ${existing} is not a directory`);
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    fail(
      existing === dir
        ? `is not writable by this user (uid ${process.getuid?.() ?? '?'})`
        : `cannot be created: ${existing} is not writable by this user (uid ${process.getuid?.() ?? '?'})`,
      err,
    );
  }
}

/** check-config: an existing database file must be one SQLite can read (opened read-only, nothing changed). */
export function checkDbFile(file: string): void {
  if (!fs.existsSync(file)) return;
  let db: Db | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('schema_version', { simple: true });
  } catch (err) {
    throw new AppError(
      'DB_UNREADABLE',
      `the database ${path.resolve(file)} cannot be read: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    db?.close();
  }
}

export function dbFile(dataDir: string): string {
  return path.join(dataDir, DB_FILE_NAME);
}

/** The numbered migrations: migrations/0001-name.sql, 0002-..., in order. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}-[\w-]+\.sql$/.test(f))
    .sort()
    .map((f, i) => {
      const version = Number(f.slice(0, 4));
      if (version !== i + 1)
        throw new AppError('DB_MIGRATION_FAILED', `migration ${f} is out of sequence: expected number ${i + 1}`);
      return { version, name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') };
    });
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration newer than PRAGMA user_version, each in its own transaction.
 * Refuses a database written by a newer version of embargo-list. Returns the versions applied.
 */
export function migrate(db: Db, migrations: Migration[] = loadMigrations()): number[] {
  const current = schemaVersion(db);
  const newest = migrations.length;
  if (current > newest) {
    throw new AppError(
      'DB_TOO_NEW',
      `the database is at schema version ${current}, but this embargo-list knows only up to ${newest}: it was written by a newer version; upgrade embargo-list instead of using this one`,
    );
  }
  const applied: number[] = [];
  for (const m of migrations.slice(current)) {
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (err) {
      throw new AppError('DB_MIGRATION_FAILED', `migration ${m.name} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    applied.push(m.version);
  }
  return applied;
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, prepared once per connection (preparing costs more than a small UPDATE). */
export function cached(db: Db, sql: string): Database.Statement {
  let byDb = statements.get(db);
  if (!byDb) statements.set(db, (byDb = new Map()));
  let stmt = byDb.get(sql);
  if (!stmt) byDb.set(sql, (stmt = db.prepare(sql)));
  return stmt;
}

/** One relaxed commit in this many is made with FULL, which syncs the log and every commit before it. */
export const RELAXED_SYNC_EVERY = 64;
const relaxedCommits = new WeakMap<Db, number>();

/**
 * Runs fn (outside any transaction) with synchronous=NORMAL, then back to FULL. In WAL mode a
 * NORMAL commit is in the log file when it returns, so it survives a killed process; only a power
 * cut or a kernel crash can take it back, until the log is synced by the next FULL commit (which
 * syncs every commit before it too) or a checkpoint. The caller makes sure something FULL follows
 * before anyone outside relies on the commit: the IMAP fetcher saves its checkpoint with FULL
 * before it moves the messages it handled, and the deliverer claims copies with FULL before it
 * sends them.
 */
export function unsynced<T>(db: Db, fn: () => T): T {
  const result = normal(db, fn);
  pendingSync.add(db);
  return result;
}

/** fn with synchronous=NORMAL, recording nothing. */
function normal<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return fn();
  cached(db, 'PRAGMA synchronous = NORMAL').run();
  normalDepth.set(db, (normalDepth.get(db) ?? 0) + 1);
  try {
    return fn();
  } finally {
    normalDepth.set(db, (normalDepth.get(db) ?? 1) - 1);
    cached(db, 'PRAGMA synchronous = FULL').run();
  }
}

/** Connections with unsynced() commits that no FULL commit has synced yet. */
const pendingSync = new WeakSet<Db>();
/** How deep in normal() each connection is: a transaction committed there is not FULL. */
const normalDepth = new WeakMap<Db, number>();

/**
 * Whether unsynced() commits (an IMAP batch's handling) have not yet been synced by a FULL commit:
 * what they queued could still be taken back by a power cut. The deliverer claims with FULL while
 * they have not, and with NORMAL otherwise (a claim a power cut takes back only sends a copy
 * again).
 */
export function hasUnsyncedWork(db: Db): boolean {
  return pendingSync.has(db);
}

/** The caller just committed a write with FULL, outside normal(): every commit before it is on disk. */
export function noteSynced(db: Db): void {
  if ((normalDepth.get(db) ?? 0) === 0) pendingSync.delete(db);
}

/**
 * unsynced(), except that one call in RELAXED_SYNC_EVERY commits with FULL, and that its commits
 * do not count as unsynced work (hasUnsyncedWork). For the deliverer's claims and marks only:
 * losing one re-sends a copy (a duplicate), never loses or applies twice an inbound message.
 */
export function relaxed<T>(db: Db, fn: () => T): T {
  const n = (relaxedCommits.get(db) ?? 0) + 1;
  relaxedCommits.set(db, n % RELAXED_SYNC_EVERY);
  // The FULL one: a transaction() inside notes the sync if it wrote.
  return n % RELAXED_SYNC_EVERY !== 0 ? normal(db, fn) : fn();
}

/** Runs fn in one IMMEDIATE transaction (takes the write lock at BEGIN, so no upgrade deadlock). */
export function transaction<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return db.transaction(fn).immediate();
  // Only a commit that wrote something syncs the log: a read-only one writes no frame at all.
  const before = totalChanges(db);
  const result = db.transaction(fn).immediate();
  if (totalChanges(db) !== before) noteSynced(db);
  return result;
}

function totalChanges(db: Db): number {
  return cached(db, 'SELECT total_changes()').pluck().get() as number;
}
