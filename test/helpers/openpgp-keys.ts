/**
 * Public keys a member's GnuPG really makes, and the bad ones an operator may be handed, each in a
 * temporary GNUPGHOME (test/helpers/gpg.ts), never the user's:
 *   good      'Sec <security@member.example>': ed25519 cert key + cv25519 encryption subkey, 1 year
 *   signOnly  an ed25519 key that signs and certifies, with no encryption subkey
 *   expired   made in 2019 (--faked-system-time) for one year, with its encryption subkey
 *   revoked   a good key with its revocation certificate (openpgp-revocs.d) imported
 *   elsewhere 'Someone <someone@elsewhere.example>', usable, of another domain
 *   listKey   'List <security@lists.example.org>': signs (primary) and encrypts (subkey)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../src/errors';
import { GpgHome } from './gpg';

export interface GpgKey {
  fingerprint: string;
  armored: string;
}

export interface GpgKeys {
  home: GpgHome;
  good: GpgKey & { secret: string; binary: Buffer };
  signOnly: GpgKey;
  expired: GpgKey;
  revoked: GpgKey;
  elsewhere: GpgKey;
  listKey: GpgKey & { secret: string };
}

function fingerprintOf(home: GpgHome, userId: string): string {
  const colons = home.ok(['--with-colons', '--list-keys', userId]).stdout.toString('utf8');
  const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(colons)?.[1];
  if (!fpr) throw new Error(`no fingerprint for ${userId}: ${colons}`);
  return fpr;
}

function make(home: GpgHome, userId: string, usage: string, encrypt: boolean, faked: string[] = []): GpgKey {
  home.ok([...faked, '--quick-gen-key', userId, 'ed25519', usage, '1y']);
  const fingerprint = fingerprintOf(home, userId);
  if (encrypt) home.ok([...faked, '--quick-add-key', fingerprint, 'cv25519', 'encr', '1y']);
  return { fingerprint, armored: home.ok(['--armor', '--export', fingerprint]).stdout.toString('utf8') };
}

/** Makes every key once (gpg takes a second or two per home); callers cleanup() the home after. */
export function makeGpgKeys(): GpgKeys {
  const home = new GpgHome();
  const good = make(home, 'Sec <security@member.example>', 'cert', true);
  const signOnly = make(home, 'Signer <signer@member.example>', 'sign', false);
  const expired = make(home, 'Old <old@member.example>', 'cert', true, ['--faked-system-time', '20190101T000000!']);
  const toRevoke = make(home, 'Gone <gone@member.example>', 'cert', true);
  // gpg writes a revocation certificate for every key it makes; its armor lines are prefixed by ":".
  const cert = fs
    .readFileSync(path.join(home.dir, 'openpgp-revocs.d', `${toRevoke.fingerprint}.rev`), 'utf8')
    .replace(/^:-----/gm, '-----');
  home.ok(['--import'], cert);
  const revoked = {
    fingerprint: toRevoke.fingerprint,
    armored: home.ok(['--armor', '--export', toRevoke.fingerprint]).stdout.toString('utf8'),
  };
  const elsewhere = make(home, 'Someone <someone@elsewhere.example>', 'cert', true);
  const listKey = make(home, 'List <security@lists.example.org>', 'sign', true);
  return {
    home,
    good: {
      ...good,
      secret: home.ok(['--armor', '--export-secret-keys', good.fingerprint]).stdout.toString('utf8'),
      binary: home.ok(['--export', good.fingerprint]).stdout,
    },
    signOnly,
    expired,
    revoked,
    elsewhere,
    listKey: {
      ...listKey,
      secret: home.ok(['--armor', '--export-secret-keys', listKey.fingerprint]).stdout.toString('utf8'),
    },
  };
}

/** The AppError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}
