import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerKeys, type KeysIo } from '../../../src/admin/keys';
import type { Context } from '../../../src/context';
import { AppError } from '../../../src/errors';
import { generateListKey } from '../../../src/openpgp/list-key';
import { loadMigrations, migrate, openDb } from '../../../src/store/db';
import { findKey, keysExpiringBy, usableKeyFor } from '../../../src/store/keys';
import { upsertMember } from '../../../src/store/members';
import { createTestContext, MIGRATIONS_DIR, MODERATORS } from '../../helpers/context';
import { makeGpgKeys, type GpgKeys } from '../../helpers/openpgp-keys';

const MEMBER = 'security@member.example';

describe('admin/keys: members key and moderators key', () => {
  let k: GpgKeys;
  let dir: string;
  let file: string;
  let now: Date;

  before(() => {
    k = makeGpgKeys();
  });
  after(() => k.home.cleanup());

  beforeEach(() => {
    now = new Date();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-keys-'));
    file = path.join(dir, 'list.sqlite');
    const db = openDb(file);
    migrate(db, loadMigrations(MIGRATIONS_DIR));
    upsertMember(db, MEMBER, 'Member Corp', now.toISOString());
    db.close();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs one command line; returns what it printed, or the AppError it stopped with. */
  async function run(args: string[], stdin = ''): Promise<{ out: string; err: string; error?: AppError }> {
    let out = '';
    let err = '';
    const io: KeysIo = {
      stdin: async function* () {
        yield Buffer.from(stdin);
      },
      out: (t) => (out += t),
      err: (t) => (err += t),
    };
    const program = new Command('embargo-list').exitOverride().configureOutput({ writeErr: () => undefined });
    const open = (): Context =>
      createTestContext({
        db: openDb(file),
        clock: () => now,
        config: { ...createTestContext().config, dataDir: dir },
      });
    registerKeys(program, open, io);
    try {
      await program.parseAsync(args, { from: 'user' });
      return { out, err };
    } catch (e) {
      if (e instanceof AppError) return { out, err, error: e };
      throw e;
    }
  }

  const keyFile = (text: string | Buffer): string => {
    const f = path.join(dir, `key-${Math.random().toString(36).slice(2)}.asc`);
    fs.writeFileSync(f, text);
    return f;
  };

  function db() {
    return openDb(file);
  }

  it("adds a member's key from a file, shows its fingerprint, expiry and user IDs, and audits it", async () => {
    const added = await run(['members', 'key', 'add', 'Security@Member.Example', keyFile(k.good.armored)]);
    assert.equal(added.error, undefined);
    assert.equal(added.out, `key added: ${MEMBER} ${k.good.fingerprint}\n`);
    assert.equal(added.err, '');
    const shown = await run(['members', 'key', 'show', MEMBER]);
    assert.match(shown.out, new RegExp(`fingerprint: ${k.good.fingerprint.match(/.{4}/g)!.join(' ')}`));
    assert.match(shown.out, /expires: \d{4}-\d\d-\d\dT/);
    assert.match(shown.out, /state: usable/);
    assert.match(shown.out, /^ {2}Sec <security@member\.example>$/m);
    const d = db();
    try {
      const audit = d.prepare("SELECT action, object, detail FROM audit WHERE action LIKE 'key.%'").all() as {
        action: string;
        object: string;
        detail: string;
      }[];
      assert.deepEqual(
        audit.map((a) => [a.action, a.object, JSON.parse(a.detail).fingerprint]),
        [['key.add', MEMBER, k.good.fingerprint]],
      );
    } finally {
      d.close();
    }
  });

  it('reads the key from standard input with "-"', async () => {
    const r = await run(['members', 'key', 'add', MEMBER, '-'], k.good.armored);
    assert.equal(r.error, undefined);
    const d = db();
    try {
      assert.equal(findKey(d, 'member', MEMBER)!.fingerprint, k.good.fingerprint);
    } finally {
      d.close();
    }
  });

  it('keeps one key per member: a second replaces the first, and the audit names both', async () => {
    await run(['members', 'key', 'add', MEMBER, keyFile(k.good.armored)]);
    const r = await run(['members', 'key', 'add', MEMBER, keyFile(k.elsewhere.armored)]);
    assert.equal(r.out, `key replaced: ${MEMBER} ${k.elsewhere.fingerprint} (was ${k.good.fingerprint})\n`);
    const d = db();
    try {
      assert.equal(d.prepare('SELECT count(*) FROM openpgp_keys').pluck().get(), 1);
      const last = d.prepare("SELECT detail FROM audit WHERE action = 'key.replace'").pluck().get() as string;
      assert.deepEqual(
        [JSON.parse(last).fingerprint, JSON.parse(last).previous],
        [k.elsewhere.fingerprint, k.good.fingerprint],
      );
    } finally {
      d.close();
    }
  });

  it('warns on stderr, and still adds, when no user ID names the address (a key of another domain)', async () => {
    const r = await run(['members', 'key', 'add', MEMBER, keyFile(k.elsewhere.armored)]);
    assert.equal(r.error, undefined);
    assert.match(r.err, /^embargo-list: warning: KEY_UID_MISMATCH .*someone@elsewhere\.example/);
    assert.match(r.out, /^key added: /);
  });

  const refusals: [string, (k: GpgKeys) => string | Buffer, string][] = [
    ['a secret key', (k) => k.good.secret, 'KEY_IS_SECRET'],
    ['two keys in one file', (k) => `${k.good.armored}\n${k.elsewhere.armored}`, 'KEY_MULTIPLE'],
    ['a key that only signs', (k) => k.signOnly.armored, 'KEY_NO_ENCRYPTION'],
    ['an expired key', (k) => k.expired.armored, 'KEY_EXPIRED'],
    ['a revoked key', (k) => k.revoked.armored, 'KEY_REVOKED'],
    ['garbage', () => 'my key is in the attachment', 'KEY_UNREADABLE'],
    ['an empty file', () => '', 'KEY_UNREADABLE'],
    ['a huge file', () => Buffer.alloc(2 * 1024 * 1024, 0x41), 'KEY_TOO_LARGE'],
  ];
  for (const [what, input, code] of refusals)
    it(`refuses ${what} (${code}) and stores nothing`, async () => {
      const r = await run(['members', 'key', 'add', MEMBER, keyFile(input(k))]);
      assert.equal(r.error?.code, code);
      const d = db();
      try {
        assert.equal(d.prepare('SELECT count(*) FROM openpgp_keys').pluck().get(), 0);
        assert.equal(d.prepare("SELECT count(*) FROM audit WHERE action LIKE 'key.%'").pluck().get(), 0);
      } finally {
        d.close();
      }
    });

  it('refuses an address that is not an active member, and a file that does not exist', async () => {
    assert.equal(
      (await run(['members', 'key', 'add', 'stranger@evil.example', keyFile(k.good.armored)])).error?.code,
      'MEMBER_NOT_FOUND',
    );
    assert.equal(
      (await run(['members', 'key', 'add', MEMBER, path.join(dir, 'missing.asc')])).error?.code,
      'INPUT_NOT_FOUND',
    );
  });

  it('marks the stored key revoked when its holder sends it again with its revocation', async () => {
    // The revoked key is first stored as it was before the revocation: same fingerprint, then revoked.
    const d0 = db();
    try {
      d0.prepare(
        `INSERT INTO openpgp_keys (owner_kind, address, fingerprint, armored, user_ids, created, expires, added_at, added_by)
         VALUES ('member', ?, ?, ?, '[]', ?, NULL, ?, 'test')`,
      ).run(MEMBER, k.revoked.fingerprint, k.revoked.armored, now.toISOString(), now.toISOString());
    } finally {
      d0.close();
    }
    const r = await run(['members', 'key', 'add', MEMBER, keyFile(k.revoked.armored)]);
    assert.equal(r.error, undefined);
    assert.match(r.out, /^key revoked: /);
    const d = db();
    try {
      assert.equal(findKey(d, 'member', MEMBER)!.revoked, 1);
      assert.equal(await usableKeyFor(d, MEMBER, now), null);
    } finally {
      d.close();
    }
  });

  it('removes the key, audited; show and remove of no key say KEY_NOT_FOUND', async () => {
    await run(['members', 'key', 'add', MEMBER, keyFile(k.good.armored)]);
    assert.equal(
      (await run(['members', 'key', 'remove', MEMBER])).out,
      `key removed: ${MEMBER} ${k.good.fingerprint}\n`,
    );
    assert.equal((await run(['members', 'key', 'show', MEMBER])).error?.code, 'KEY_NOT_FOUND');
    assert.equal((await run(['members', 'key', 'remove', MEMBER])).error?.code, 'KEY_NOT_FOUND');
    const d = db();
    try {
      assert.equal(d.prepare("SELECT count(*) FROM audit WHERE action = 'key.remove'").pluck().get(), 1);
    } finally {
      d.close();
    }
  });

  it("keeps a moderator's key apart from a member's, for addresses in list.moderators only", async () => {
    const moderator = MODERATORS[0]!;
    assert.equal(
      (await run(['moderators', 'key', 'add', MEMBER, keyFile(k.good.armored)])).error?.code,
      'MODERATOR_NOT_FOUND',
    );
    const r = await run(['moderators', 'key', 'add', moderator.toUpperCase(), keyFile(k.good.armored)]);
    assert.equal(r.error, undefined);
    assert.match(r.err, /KEY_UID_MISMATCH/);
    assert.match((await run(['moderators', 'key', 'show', moderator])).out, /\(moderator\)/);
    assert.equal((await run(['members', 'key', 'show', MEMBER])).error?.code, 'KEY_NOT_FOUND');
    const d = db();
    try {
      assert.ok(await usableKeyFor(d, moderator, now, 'moderator'));
      assert.equal(await usableKeyFor(d, moderator, now, 'member'), null);
    } finally {
      d.close();
    }
  });

  it('usableKeyFor gives the key now, and null once it has expired or when there is none', async () => {
    await run(['members', 'key', 'add', MEMBER, keyFile(k.good.armored)]);
    const d = db();
    try {
      const key = await usableKeyFor(d, 'SECURITY@member.example', now);
      assert.equal(key?.getFingerprint().toUpperCase(), k.good.fingerprint);
      assert.equal(await usableKeyFor(d, MEMBER, new Date(now.getTime() + 2 * 365 * 86_400_000)), null);
      assert.equal(await usableKeyFor(d, 'nobody@member.example', now), null);
      // The expiry warning finds it within a year and a day, not within a day.
      const iso = (ms: number) => new Date(now.getTime() + ms).toISOString();
      assert.equal(keysExpiringBy(d, now.toISOString(), iso(86_400_000)).length, 0);
      assert.equal(keysExpiringBy(d, now.toISOString(), iso(367 * 86_400_000)).length, 1);
    } finally {
      d.close();
    }
  });
});

describe("admin/keys: the list's key (key export, show, import)", () => {
  let k: GpgKeys;
  let dir: string;
  before(() => {
    k = makeGpgKeys();
  });
  after(() => k.home.cleanup());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-listkeys-'));
    const db = openDb(path.join(dir, 'list.sqlite'));
    migrate(db, loadMigrations(MIGRATIONS_DIR));
    db.close();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<{ out: string; err: string; error?: AppError }> {
    let out = '';
    let err = '';
    const io: KeysIo = { stdin: () => [], out: (t) => (out += t), err: (t) => (err += t) };
    const program = new Command('embargo-list').exitOverride().configureOutput({ writeErr: () => undefined });
    const now = new Date();
    registerKeys(
      program,
      () =>
        createTestContext({
          db: openDb(path.join(dir, 'list.sqlite')),
          clock: () => now,
          config: { ...createTestContext().config, dataDir: dir },
        }),
      io,
    );
    try {
      await program.parseAsync(args, { from: 'user' });
      return { out, err };
    } catch (e) {
      if (e instanceof AppError) return { out, err, error: e };
      throw e;
    }
  }

  it('says LIST_KEY_MISSING before there is a key', async () => {
    assert.equal((await run(['key', 'export'])).error?.code, 'LIST_KEY_MISSING');
    assert.equal((await run(['key', 'show'])).error?.code, 'LIST_KEY_MISSING');
  });

  it("imports GnuPG's secret key (mode 0600), exports the public key alone, and refuses another without --replace", async () => {
    const secret = path.join(dir, 'secret.asc');
    fs.writeFileSync(secret, k.listKey.secret);
    const imported = await run(['key', 'import', secret]);
    assert.equal(imported.error, undefined);
    const keyFile = path.join(dir, 'openpgp', 'list-secret.asc');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    const exported = (await run(['key', 'export'])).out;
    assert.match(exported, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.doesNotMatch(exported, /PRIVATE/);
    const shown = (await run(['key', 'show'])).out;
    assert.match(shown, /List <security@lists\.example\.org>/);
    assert.ok(shown.includes(keyFile));
    const other = path.join(dir, 'other.asc');
    fs.writeFileSync(other, await generateListKey('X', 'security@lists.example.org', new Date()));
    assert.equal((await run(['key', 'import', other])).error?.code, 'LIST_KEY_EXISTS');
    assert.equal((await run(['key', 'import', other, '--replace'])).error, undefined);
  });

  it('refuses to import a public key as the list key', async () => {
    const pub = path.join(dir, 'public.asc');
    fs.writeFileSync(pub, k.listKey.armored);
    assert.equal((await run(['key', 'import', pub])).error?.code, 'LIST_KEY_INVALID');
  });
});
