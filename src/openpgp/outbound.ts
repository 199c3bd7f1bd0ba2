/**
 * OpenPGP on the way out (issue 12).
 *
 * At enqueue (synchronous, inside the handling transaction): which thread-mail recipient gets an
 * encrypted copy, a clear one, or only the key-required notice (policy.encryption), from the
 * stored key columns alone (store/keys usableKeyRow, handed in: openpgp/ reads no table itself).
 *
 * At delivery (asynchronous, outside transactions): a copy with encrypt_to is encrypted to that
 * member's current key, re-read and checked again, and signed inside with the list's key; if the
 * key changed or became unusable the copy is never sent in the clear (KEY_UNUSABLE). A clear copy
 * is signed with the list's key when there is one, once per outbox_message.
 */
import type { Config } from '../config';
import type { Context } from '../context';
import { AppError } from '../errors';
import { normalizeAddress } from '../message/address';
import type { ClaimedDelivery } from '../store/outbox';
import type { PublicKey } from './lib';
import type { ListKey } from './list-key';
import { encryptMime, signMime } from './pgp-mime';

export type CopyMode = 'encrypted' | 'clear' | 'notice-only';

/** What one member's copy of thread mail is, and the key fingerprint when encrypted. */
export type CopyDecision = { mode: 'encrypted'; fingerprint: string } | { mode: 'clear' } | { mode: 'notice-only' };

/** Is per-recipient encryption in force at all? Only with openpgp.enabled and a policy other than off. */
export function encryptionActive(config: Pick<Config, 'openpgp' | 'policy'>): boolean {
  return config.openpgp.enabled && config.policy.encryption !== 'off';
}

/**
 * One member's copy: encrypted to a usable key, clear (off, or opportunistic without a key), or
 * notice-only (required without a key). `usableFingerprint`: the fingerprint of the member's
 * stored key if it is usable now (not revoked, not expired), else null.
 */
export function decideCopy(config: Pick<Config, 'openpgp' | 'policy'>, usableFingerprint: string | null): CopyDecision {
  if (!encryptionActive(config)) return { mode: 'clear' };
  if (usableFingerprint !== null) return { mode: 'encrypted', fingerprint: usableFingerprint };
  return config.policy.encryption === 'required' ? { mode: 'notice-only' } : { mode: 'clear' };
}

export interface ThreadRecipients {
  /** Whether the footer says if the copy is encrypted (openpgp.enabled). */
  pgp: boolean;
  /** Member address -> fingerprint to encrypt to, in the order given. */
  encrypted: Map<string, string>;
  clear: string[];
  /** Required without a usable key, not yet told for this disclosure: they get the key-required notice now. */
  noticeOnly: string[];
  /** Required without a usable key, already told for this disclosure: they get nothing more of it. */
  alreadyTold: string[];
}

/**
 * Splits the members a thread mail goes to by what each copy is. `usableFingerprint` gives a
 * member's usable key (synchronously, from stored columns); `told` the members already sent the
 * key-required notice for this disclosure (lower case), asked only with policy required.
 */
export function splitThreadRecipients(
  config: Pick<Config, 'openpgp' | 'policy'>,
  recipients: readonly string[],
  usableFingerprint: (address: string) => string | null,
  told: () => ReadonlySet<string>,
): ThreadRecipients {
  const out: ThreadRecipients = {
    pgp: config.openpgp.enabled,
    encrypted: new Map(),
    clear: [],
    noticeOnly: [],
    alreadyTold: [],
  };
  if (!encryptionActive(config)) {
    out.clear = [...recipients];
    return out;
  }
  let toldSet: ReadonlySet<string> | null = null;
  for (const r of recipients) {
    const d = decideCopy(config, usableFingerprint(r));
    if (d.mode === 'encrypted') out.encrypted.set(r, d.fingerprint);
    else if (d.mode === 'clear') out.clear.push(r);
    else if ((toldSet ??= told()).has(normalizeAddress(r))) out.alreadyTold.push(r);
    else out.noticeOnly.push(r);
  }
  return out;
}

/** Most outbox_messages whose clear signature is kept in memory at once. */
export const SIGNED_CACHE_SIZE = 64;

/**
 * The bytes a claimed copy is sent as, when OpenPGP has work to do on it. The deliverer asks
 * `needsWork` first, so that a list without OpenPGP pays nothing per copy.
 */
export class OutboundPgp {
  /** outbox_message id -> its clear bytes signed by the list, in insertion order (oldest first). */
  private readonly signed = new Map<number, Promise<Buffer>>();

  /**
   * Reads ctx.listKey at each copy: `run` (or a test) may set it after the deliverer is made.
   * `currentKey`: the recipient's key to encrypt to at that moment, given the fingerprint the copy
   * was queued for (store/keys keyToEncryptTo: the stored key, or one waiting for confirmation).
   */
  constructor(
    private readonly ctx: Pick<Context, 'clock' | 'listKey'>,
    private readonly currentKey: (recipient: string, now: Date, fingerprint: string) => Promise<PublicKey | null>,
  ) {}

  private get listKey(): ListKey | undefined {
    return this.ctx.listKey;
  }

  needsWork(row: Pick<ClaimedDelivery, 'encrypt_to'>): boolean {
    return row.encrypt_to !== null || this.listKey !== undefined;
  }

  /** Throws AppError KEY_UNUSABLE (never the clear bytes) when the copy's key cannot be used now. */
  async prepare(row: Pick<ClaimedDelivery, 'encrypt_to' | 'message' | 'recipient' | 'raw'>): Promise<Buffer> {
    if (row.encrypt_to !== null) return this.encrypt(row.raw, row.recipient, row.encrypt_to);
    if (!this.listKey) return row.raw;
    return this.signOnce(row.message, row.raw, this.listKey);
  }

  private async encrypt(raw: Buffer, recipient: string, fingerprint: string): Promise<Buffer> {
    const key = await this.currentKey(recipient, this.ctx.clock(), fingerprint);
    if (!key)
      throw new AppError(
        'KEY_UNUSABLE',
        `the key ${fingerprint} of ${recipient} is gone, expired or revoked since the copy was queued; the copy is not sent in the clear`,
      );
    const now = key.getFingerprint().toUpperCase();
    if (now !== fingerprint.toUpperCase())
      throw new AppError(
        'KEY_UNUSABLE',
        `the key of ${recipient} changed from ${fingerprint} to ${now} since the copy was queued; the copy is not sent in the clear`,
      );
    try {
      return await encryptMime(raw, {
        encryptionKeys: [key],
        ...(this.listKey ? { signingKey: this.listKey.privateKey } : {}),
      });
    } catch (err) {
      throw new AppError('ENCRYPT_FAILED', `encrypting to ${fingerprint} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private signOnce(message: number, raw: Buffer, listKey: ListKey): Promise<Buffer> {
    let p = this.signed.get(message);
    if (!p) {
      p = signMime(raw, listKey.privateKey);
      // A failed signature is not kept: the next copy tries again.
      p.catch(() => this.signed.delete(message));
      this.signed.set(message, p);
      if (this.signed.size > SIGNED_CACHE_SIZE) this.signed.delete(this.signed.keys().next().value!);
    }
    return p;
  }
}
