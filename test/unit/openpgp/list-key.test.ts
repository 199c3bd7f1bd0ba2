import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli';
import { openpgp } from '../../../src/openpgp/lib';
import {
  checkImportedListKey,
  ensureListKey,
  listKeyFile,
  loadListKey,
  writeListKey,
} from '../../../src/openpgp/list-key';
import { GpgHome } from '../../helpers/gpg';
import { makeGpgKeys, type GpgKeys, refusal } from '../../helpers/openpgp-keys';

const LIST = { name: 'Example Security', address: 'security@lists.example.org' };

describe("openpgp/list-key: the list's key pair", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-listkey-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('is made on the first call, mode 0600 in a 0700 directory, and loaded (not made again) on the next', async () => {
    const first = await ensureListKey(dataDir, LIST, new Date());
    assert.equal(first.generated, true);
    const file = listKeyFile(dataDir);
    assert.equal(first.key.file, file);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(first.key.publicKey.getUserIDs(), ['Example Security <security@lists.example.org>']);
    const second = await ensureListKey(dataDir, LIST, new Date());
    assert.equal(second.generated, false);
    assert.equal(second.key.fingerprint, first.key.fingerprint);
  });

  it('is a key GnuPG 2.2 imports and encrypts to, and the list decrypts what gpg encrypted', async () => {
    const { key } = await ensureListKey(dataDir, LIST, new Date());
    const gpg = new GpgHome();
    try {
      gpg.ok(['--import'], key.publicKey.armor());
      const encrypted = gpg.ok(
        ['--armor', '--trust-model', 'always', '--encrypt', '--recipient', key.fingerprint],
        'embargoed text\n',
      ).stdout;
      const message = await openpgp.readMessage({ armoredMessage: encrypted.toString('utf8') });
      const { data } = await openpgp.decrypt({ message, decryptionKeys: key.privateKey });
      assert.equal(data, 'embargoed text\n');
    } finally {
      gpg.cleanup();
    }
  });

  it('keeps the first key when two starts write at once (the file is never replaced without asking)', async () => {
    const { key } = await ensureListKey(dataDir, LIST, new Date());
    const other = (await openpgp.generateKey({ userIDs: [{ email: LIST.address }], format: 'armored' })).privateKey;
    assert.equal(writeListKey(dataDir, other, false), false);
    assert.equal((await loadListKey(dataDir))!.fingerprint, key.fingerprint);
  });

  it('refuses a key file readable by others, naming the file (LIST_KEY_INSECURE)', async () => {
    await ensureListKey(dataDir, LIST, new Date());
    const file = listKeyFile(dataDir);
    for (const mode of [0o644, 0o640, 0o602]) {
      fs.chmodSync(file, mode);
      const err = await refusal(ensureListKey(dataDir, LIST, new Date()));
      assert.equal(err.code, 'LIST_KEY_INSECURE');
      assert.ok(err.message.includes(file));
    }
  });

  it('refuses a symbolic link in place of the key file', async () => {
    const { key } = await ensureListKey(dataDir, LIST, new Date());
    const elsewhere = path.join(dataDir, 'elsewhere.asc');
    fs.renameSync(key.file, elsewhere);
    fs.symlinkSync(elsewhere, key.file);
    assert.equal((await refusal(loadListKey(dataDir))).code, 'LIST_KEY_INSECURE');
  });

  it('refuses a key file that is not a secret key (LIST_KEY_UNREADABLE), and makes no other', async () => {
    fs.mkdirSync(path.join(dataDir, 'openpgp'), { mode: 0o700 });
    fs.writeFileSync(listKeyFile(dataDir), 'not a key\n', { mode: 0o600 });
    assert.equal((await refusal(ensureListKey(dataDir, LIST, new Date()))).code, 'LIST_KEY_UNREADABLE');
    assert.equal(fs.readFileSync(listKeyFile(dataDir), 'utf8'), 'not a key\n');
  });

  it('stops "embargo-list run" with exit 78 and one line naming the file when its mode is too wide', async () => {
    await ensureListKey(dataDir, LIST, new Date());
    fs.chmodSync(listKeyFile(dataDir), 0o644);
    fs.mkdirSync(path.join(dataDir, 'inbox', 'new'), { recursive: true });
    const config = path.join(dataDir, 'config.yaml');
    fs.writeFileSync(
      config,
      `list:\n  name: Example Security\n  address: ${LIST.address}\n  requestsAddress: security-requests@lists.example.org\n  moderators: [moderator@example.org]\ndataDir: ${dataDir}\ninbound:\n  maildir: ${dataDir}/inbox\noutbound:\n  directory: ${dataDir}/outbox\nopenpgp:\n  enabled: true\nlog: { level: fatal, format: json }\n`,
    );
    const realErr = process.stderr.write;
    let err = '';
    process.stderr.write = ((chunk: string | Uint8Array): boolean => {
      err += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    let code: number;
    // main() sets the process's umask to 077 for the files it writes; this test process goes on
    // to start other programs (Postfix in the receiving-host tests) that need the usual one.
    const umask = process.umask();
    try {
      code = await main(['node', 'embargo-list', '-c', config, 'run']);
    } finally {
      process.stderr.write = realErr;
      process.umask(umask);
    }
    assert.equal(code, 78);
    const lines = err.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^embargo-list: LIST_KEY_INSECURE /);
    assert.ok(lines[0]!.includes(listKeyFile(dataDir)));
    assert.equal(fs.existsSync(path.join(dataDir, 'embargo-list.pid')), false);
  });
});

describe('openpgp/list-key: importing a key pair', () => {
  let k: GpgKeys;
  // After the keys are made: a key does not exist before its creation time.
  let now: Date;
  before(() => {
    k = makeGpgKeys();
    now = new Date();
  });
  after(() => k.home.cleanup());

  it("accepts GnuPG's secret key that signs and encrypts, armored again without protection", async () => {
    const r = await checkImportedListKey(Buffer.from(k.listKey.secret), { now, listAddress: LIST.address });
    assert.equal(r.fingerprint, k.listKey.fingerprint);
    assert.deepEqual(r.warnings, []);
    assert.match(r.armored, /BEGIN PGP PRIVATE KEY BLOCK/);
  });

  it('warns when no user ID names the list address', async () => {
    const r = await checkImportedListKey(Buffer.from(k.listKey.secret), {
      now,
      listAddress: 'other@lists.example.org',
    });
    assert.match(r.warnings.join('\n'), /^KEY_UID_MISMATCH /);
  });

  it('refuses a public key, a key that cannot sign, and two keys', async () => {
    const opts = { now, listAddress: LIST.address };
    for (const input of [k.listKey.armored, k.good.secret, `${k.listKey.secret}\n${k.good.secret}`])
      assert.equal((await refusal(checkImportedListKey(Buffer.from(input), opts))).code, 'LIST_KEY_INVALID');
  });

  it('asks for the passphrase of a protected key, refuses a wrong one, and decrypts it with the right one', async () => {
    const { privateKey } = await openpgp.generateKey({
      userIDs: [{ email: LIST.address }],
      passphrase: 'correct horse',
      format: 'armored',
    });
    const input = Buffer.from(privateKey);
    const opts = { now: new Date(), listAddress: LIST.address };
    assert.match((await refusal(checkImportedListKey(input, opts))).message, /passphrase/);
    assert.equal(
      (await refusal(checkImportedListKey(input, { ...opts, passphrase: 'wrong' }))).code,
      'LIST_KEY_INVALID',
    );
    const r = await checkImportedListKey(input, { ...opts, passphrase: 'correct horse' });
    assert.ok((await openpgp.readPrivateKey({ armoredKey: r.armored })).isDecrypted());
  });
});
