/**
 * GnuPG as a member's or moderator's real client, in a temporary GNUPGHOME of its own (never the
 * user's): a key pair made by gpg (ed25519 certification key, ed25519 signing and cv25519
 * encryption subkeys), and gpg run on files there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpgResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export class GpgHome {
  readonly dir: string;
  /** Primary key fingerprint, upper-case hex. */
  fingerprint = '';
  private files = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'gpg-'));
  }

  /** gpg --homedir DIR --batch --pinentry-mode loopback --passphrase '' ARGS; stdin from `input`. */
  run(args: string[], input?: Buffer | string): GpgResult {
    const r = spawnSync(
      'gpg',
      ['--homedir', this.dir, '--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
      { input, maxBuffer: 64 * 1024 * 1024 },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
  }

  /** Like run(), but throws with gpg's own words when it fails. */
  ok(args: string[], input?: Buffer | string): GpgResult {
    const r = this.run(args, input);
    if (r.status !== 0) throw new Error(`gpg ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r;
  }

  /** A key pair for the user ID; sets `fingerprint`. */
  generate(userId: string): this {
    this.ok(['--quick-gen-key', userId, 'ed25519', 'cert', '1y']);
    const colons = this.ok(['--with-colons', '--list-secret-keys', userId]).stdout.toString('utf8');
    const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(colons)?.[1];
    if (!fpr) throw new Error(`no fingerprint in gpg output: ${colons}`);
    this.fingerprint = fpr;
    this.ok(['--quick-add-key', fpr, 'ed25519', 'sign', '1y']);
    this.ok(['--quick-add-key', fpr, 'cv25519', 'encr', '1y']);
    return this;
  }

  publicKey(): string {
    return this.ok(['--armor', '--export', this.fingerprint]).stdout.toString('utf8');
  }

  secretKey(): string {
    return this.ok(['--armor', '--export-secret-keys', this.fingerprint]).stdout.toString('utf8');
  }

  /** Imports an armored key and trusts it fully, so that --verify and --encrypt -r accept it without asking. */
  importKey(armored: string): void {
    this.ok(['--import'], armored);
    const colons = this.ok(['--with-colons', '--import-options', 'show-only', '--import'], armored).stdout.toString();
    for (const m of colons.matchAll(/^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/gm)) {
      this.ok(['--import-ownertrust'], `${m[1]}:6:\n`);
      break;
    }
  }

  /**
   * gpg --status-fd 2 --decrypt on the armored OpenPGP message a PGP/MIME mail carries, as the
   * recipient's client would; null when the mail carries none. stderr holds the status lines
   * ([GNUPG:] GOODSIG when it was signed by a key this home knows).
   */
  decryptMail(raw: Buffer): GpgResult | null {
    const armored = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/.exec(raw.toString('latin1'))?.[0];
    return armored ? this.run(['--status-fd', '2', '--decrypt'], armored) : null;
  }

  /** Writes bytes to a new file in the home and returns its path. */
  file(data: Buffer | string): string {
    this.files += 1;
    const path = join(this.dir, `f${this.files}`);
    writeFileSync(path, data);
    return path;
  }

  /** Stops this home's gpg-agent and removes the directory. */
  cleanup(): void {
    spawnSync('gpgconf', ['--homedir', this.dir, '--kill', 'all']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Throws, saying how to get it, when gpg is not on the PATH: tests that need GnuPG fail with
 * that sentence rather than skip silently.
 */
export function requireGpg(): void {
  const r = spawnSync('gpg', ['--version']);
  if (r.error || r.status !== 0)
    throw new Error(
      `GnuPG (gpg) is required by this test and could not be run (${r.error?.message ?? `exit ${r.status}`}): ` +
        'install it (Debian: apt-get install gnupg) and run the test again',
    );
}

const CRLF = '\r\n';

/**
 * A mail as a client wraps gpg's output in RFC 3156: the given header lines (From, To, ...; no
 * Content-Type), then multipart/encrypted around the armored message.
 */
export function encryptedMail(header: string[], armored: string): Buffer {
  const b = 'enc-b0undary';
  return Buffer.from(
    [
      ...header,
      `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${b}"`,
      '',
      `--${b}`,
      'Content-Type: application/pgp-encrypted',
      '',
      'Version: 1',
      '',
      `--${b}`,
      'Content-Type: application/octet-stream; name="encrypted.asc"',
      '',
      armored.replace(/\r?\n/g, CRLF).trimEnd(),
      `--${b}--`,
      '',
    ].join(CRLF),
    'utf8',
  );
}

/** The same for multipart/signed: a part (its exact bytes) and gpg's detached armored signature. */
export function signedMail(header: string[], part: string, signature: string): Buffer {
  const b = 'sig-b0undary';
  return Buffer.from(
    [
      ...header,
      `Content-Type: multipart/signed; micalg=pgp-sha512; protocol="application/pgp-signature"; boundary="${b}"`,
      '',
      `--${b}`,
      part,
      `--${b}`,
      'Content-Type: application/pgp-signature; name="signature.asc"',
      '',
      signature.replace(/\r?\n/g, CRLF).trimEnd(),
      `--${b}--`,
      '',
    ].join(CRLF),
    'utf8',
  );
}
