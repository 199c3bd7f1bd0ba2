/**
 * The list's own OpenPGP key pair: <dataDir>/openpgp/list-secret.asc, armored, without a
 * passphrase (the daemon runs unattended), file mode 0600 in a directory of mode 0700. What
 * protects it is the Unix account the daemon runs as, like the database beside it.
 *
 * Made on the first start with openpgp.enabled (an Ed25519 primary key that signs, a Curve25519
 * subkey that encrypts; OpenPGP v4, which GnuPG 2.2 reads), or imported with
 * `embargo-list key import FILE`. A file readable by anyone else stops the daemon (LIST_KEY_INSECURE).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors';
import { openpgp, type PrivateKey, type PublicKey } from './lib';
import { armorBlocks, keyState, MAX_KEY_BYTES, unusableError, userIdMatches } from './keys';

export const LIST_KEY_DIR = 'openpgp';
export const LIST_SECRET_FILE = 'list-secret.asc';

export interface ListKey {
  privateKey: PrivateKey;
  publicKey: PublicKey;
  fingerprint: string;
  file: string;
}

export function listKeyDir(dataDir: string): string {
  return path.join(path.resolve(dataDir), LIST_KEY_DIR);
}

export function listKeyFile(dataDir: string): string {
  return path.join(listKeyDir(dataDir), LIST_SECRET_FILE);
}

/**
 * Is there a list key file, and is it safe? true: yes; false: no file. Throws LIST_KEY_INSECURE
 * when it is not a regular file of ours or its mode lets anyone else read or write it.
 */
export function checkListKeyFile(file: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new AppError('LIST_KEY_UNREADABLE', `${file} cannot be read: ${(err as Error).message}`);
  }
  if (!st.isFile())
    throw new AppError(
      'LIST_KEY_INSECURE',
      `${file} is not a regular file (a symbolic link?); put the key file itself there`,
    );
  if ((st.mode & 0o077) !== 0)
    throw new AppError(
      'LIST_KEY_INSECURE',
      `${file} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, readable or writable by others; it holds the list's secret key: chmod 600 ${file}, and consider the key exposed`,
    );
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw new AppError(
      'LIST_KEY_INSECURE',
      `${file} belongs to uid ${st.uid}, not to this user (${process.getuid()}); it holds the list's secret key: chown it to the user the daemon runs as`,
    );
  return true;
}

/** Reads the list's key pair, or null when there is none yet. */
export async function loadListKey(dataDir: string): Promise<ListKey | null> {
  const file = listKeyFile(dataDir);
  if (!checkListKeyFile(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  let privateKey: PrivateKey;
  try {
    privateKey = await openpgp.readPrivateKey({ armoredKey: text });
  } catch (err) {
    throw new AppError(
      'LIST_KEY_UNREADABLE',
      `${file} is not an armored OpenPGP secret key (${(err as Error).message}); restore it from a backup or import one with "embargo-list key import FILE"`,
      { cause: err },
    );
  }
  if (!privateKey.isDecrypted())
    throw new AppError(
      'LIST_KEY_UNREADABLE',
      `${file} is protected by a passphrase; import it again with "embargo-list key import FILE --passphrase-file F"`,
    );
  return { privateKey, publicKey: privateKey.toPublic(), fingerprint: privateKey.getFingerprint().toUpperCase(), file };
}

/** A fresh key pair for the list, armored. */
export async function generateListKey(name: string, address: string, now: Date): Promise<string> {
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email: address }],
    date: now,
    format: 'armored',
  });
  return privateKey;
}

/**
 * Writes the armored secret key, mode 0600 in a 0700 directory, atomically: a reader never sees
 * half a key. Without `replace` an existing file wins (two first starts at once keep one key).
 * Returns false when the file existed and was kept.
 */
export function writeListKey(dataDir: string, armored: string, replace: boolean): boolean {
  const dir = listKeyDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const file = listKeyFile(dataDir);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, armored);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    if (replace) {
      fs.renameSync(tmp, file);
      return true;
    }
    try {
      fs.linkSync(tmp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** At the daemon's start with openpgp.enabled: the list's key, made (and written) if there is none. */
export async function ensureListKey(
  dataDir: string,
  list: { name: string; address: string },
  now: Date,
): Promise<{ key: ListKey; generated: boolean }> {
  const existing = await loadListKey(dataDir);
  if (existing) return { key: existing, generated: false };
  const written = writeListKey(dataDir, await generateListKey(list.name, list.address, now), false);
  const key = await loadListKey(dataDir);
  if (!key) throw new AppError('LIST_KEY_MISSING', `${listKeyFile(dataDir)} vanished right after it was written`);
  return { key, generated: written };
}

/**
 * Checks an armored or binary secret key offered as the list's key: exactly one, secret, not
 * expired or revoked, able to sign and to encrypt now. Decrypts it with `passphrase` when given.
 * Returns it armored (unprotected) and what the operator should hear.
 */
export async function checkImportedListKey(
  input: Uint8Array,
  opts: { now: Date; listAddress: string; passphrase?: string },
): Promise<{ armored: string; fingerprint: string; warnings: string[] }> {
  if (input.length > MAX_KEY_BYTES)
    throw new AppError('KEY_TOO_LARGE', `the key file is larger than ${MAX_KEY_BYTES / 1024} KiB`);
  const text = Buffer.from(input).toString('utf8');
  let keys: PrivateKey[];
  try {
    if (text.includes('-----BEGIN PGP ')) {
      keys = [];
      for (const block of armorBlocks(text)) keys.push(...(await openpgp.readPrivateKeys({ armoredKeys: block })));
    } else keys = await openpgp.readPrivateKeys({ binaryKeys: new Uint8Array(input) });
  } catch (err) {
    throw new AppError(
      'LIST_KEY_INVALID',
      `the file is not an OpenPGP secret key (${(err as Error).message}); expected the output of "gpg --armor --export-secret-keys FINGERPRINT"`,
      { cause: err },
    );
  }
  if (keys.length !== 1)
    throw new AppError('LIST_KEY_INVALID', `the file holds ${keys.length} secret keys; give exactly one`);
  let key = keys[0]!;
  const fingerprint = key.getFingerprint().toUpperCase();
  if (!key.isDecrypted()) {
    if (opts.passphrase === undefined)
      throw new AppError(
        'LIST_KEY_INVALID',
        `the secret key ${fingerprint} is protected by a passphrase; give it with --passphrase-file FILE (the list keeps the key unprotected, mode 0600, for the daemon runs unattended)`,
      );
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase: opts.passphrase });
    } catch (err) {
      throw new AppError('LIST_KEY_INVALID', `the passphrase does not unlock the secret key ${fingerprint}`, {
        cause: err,
      });
    }
  }
  const state = await keyState(key, opts.now);
  if (state !== 'usable') {
    const err = unusableError(state, 'the list key', fingerprint);
    throw new AppError('LIST_KEY_INVALID', err.message);
  }
  try {
    await key.getSigningKey(undefined, opts.now);
  } catch {
    throw new AppError('LIST_KEY_INVALID', `the list key ${fingerprint} cannot sign now; the list signs what it sends`);
  }
  const warnings: string[] = [];
  if (!userIdMatches(key.getUserIDs(), opts.listAddress))
    warnings.push(
      `KEY_UID_MISMATCH no user ID of ${fingerprint} names the list address ${opts.listAddress} (it has: ${key.getUserIDs().join('; ') || 'none'}); members' mail programs may not match it to the list`,
    );
  return { armored: key.armor(), fingerprint, warnings };
}
