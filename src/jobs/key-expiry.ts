/**
 * Keys age (issue 12, item 5). Reads the stored key columns only (synchronous, one transaction with
 * the state it marks), so a restart loses nothing and nothing is sent twice:
 *
 * - A member's or moderator's current key that stops being usable within policy.keyExpiryWarnDays
 *   (0: no warnings) is warned of once (openpgp_keys.warned_at): its holder gets how to extend it.
 * - A member's current key that expired or was revoked counts as no key (store/keys usableKeyRow).
 *   With policy.encryption required the moderators are told once (the member now gets notices
 *   only); with opportunistic the member is told once that its copies now go out in the clear
 *   (migration 0015, one column each).
 *
 * Only current keys exist as rows (putKey replaces the owner's row; adding the same key renewed
 * makes a new row), so a replaced key is never warned of or told of. Keys of addresses that are no
 * longer an active member or in list.moderators are left alone. Member keys count only while
 * per-recipient encryption is in force (openpgp/outbound encryptionActive); moderator keys while
 * openpgp.enabled.
 */
import { sendTemplate } from '../actions/send';
import { nowIso, type Context } from '../context';
import { encryptionActive } from '../openpgp/outbound';
import { formatFingerprint } from '../openpgp/keys';
import { formatUtc } from '../policy/embargo-date/format';
import { normalizeAddress } from '../message/address';
import { appendAudit } from '../store/audit';
import { transaction } from '../store/db';
import {
  keysExpiringBy,
  lapsedMemberKeys,
  markKeyLapseTold,
  markKeyWarned,
  type KeyRow,
  type LapseTold,
} from '../store/keys';
import { findMember } from '../store/members';

const DAY = 86_400_000;

export interface KeyExpiryResult {
  /** Members and moderators warned that their key expires soon. */
  warned: number;
  /** Member keys expired or revoked under policy required: the moderators told. */
  moderatorsTold: number;
  /** Member keys expired or revoked under policy opportunistic: the member told. */
  membersTold: number;
}

export function runKeyExpiry(ctx: Context): KeyExpiryResult {
  const result: KeyExpiryResult = { warned: 0, moderatorsTold: 0, membersTold: 0 };
  const { config, db } = ctx;
  if (!config.openpgp.enabled) return result;
  const membersCount = encryptionActive(config);
  const moderators = new Set(config.list.moderators.map((m) => normalizeAddress(m)));
  const current = (row: KeyRow): boolean =>
    row.owner_kind === 'member'
      ? membersCount && findMember(db, row.address)?.status === 'active'
      : moderators.has(normalizeAddress(row.address));
  const log = ctx.log.child({ stage: 'key-expiry' });
  return transaction(db, () => {
    const now = ctx.clock();
    const at = nowIso(ctx);
    let copies = 0;
    const warnDays = config.policy.keyExpiryWarnDays;
    if (warnDays > 0) {
      for (const row of keysExpiringBy(db, at, new Date(now.getTime() + warnDays * DAY).toISOString())) {
        if (!current(row)) continue;
        const expires = new Date(row.expires!);
        const days = Math.max(1, Math.ceil((expires.getTime() - now.getTime()) / DAY));
        const fingerprint = formatFingerprint(row.fingerprint);
        copies +=
          row.owner_kind === 'member'
            ? sendTemplate(ctx, null, {
                template: 'member.notice.key-expiring',
                to: [row.address],
                verp: true,
                params: {
                  member: row.address,
                  fingerprint,
                  fpr: row.fingerprint,
                  expires: formatUtc(expires),
                  days,
                  moderators: config.list.moderators.join(', '),
                },
              })
            : sendTemplate(ctx, null, {
                template: 'moderator.notice.key-expiring',
                to: [row.address],
                params: {
                  moderator: row.address,
                  fingerprint,
                  fpr: row.fingerprint,
                  expires: formatUtc(expires),
                  days,
                },
              });
        markKeyWarned(db, row.id, at);
        appendAudit(db, {
          at,
          actor: 'daemon',
          action: 'key.warn-expiring',
          object: row.address,
          detail: { owner: row.owner_kind, fingerprint: row.fingerprint, expires: row.expires },
        });
        log.info(
          { owner: row.owner_kind, address: row.address, fingerprint: row.fingerprint, expires: row.expires },
          `KEY_EXPIRING_WARNED ${row.owner_kind} ${row.address} ${row.fingerprint} expires=${row.expires}`,
        );
        result.warned += 1;
      }
    }
    if (membersCount) {
      const policy = config.policy.encryption;
      const told: LapseTold = policy === 'required' ? 'lapse_moderators_told_at' : 'lapse_member_told_at';
      for (const row of lapsedMemberKeys(db, at, told)) {
        if (!current(row)) continue;
        const member = findMember(db, row.address)!;
        const revoked = row.revoked === 1;
        const expires = row.expires === null ? null : formatUtc(new Date(row.expires));
        const fingerprint = formatFingerprint(row.fingerprint);
        copies +=
          policy === 'required'
            ? sendTemplate(ctx, null, {
                template: 'moderator.notice.member-key-expired',
                to: config.list.moderators,
                params: { member: row.address, organization: member.organization, fingerprint, revoked, expires },
              })
            : sendTemplate(ctx, null, {
                template: 'member.notice.key-expired',
                to: [row.address],
                verp: true,
                params: {
                  member: row.address,
                  fingerprint,
                  fpr: row.fingerprint,
                  revoked,
                  expires,
                  moderators: config.list.moderators.join(', '),
                },
              });
        markKeyLapseTold(db, row.id, told, at);
        appendAudit(db, {
          at,
          actor: 'daemon',
          action: 'key.lapsed',
          object: row.address,
          detail: {
            fingerprint: row.fingerprint,
            why: revoked ? 'revoked' : 'expired',
            policy,
            told: policy === 'required' ? 'moderators' : 'member',
          },
        });
        log.info(
          { address: row.address, fingerprint: row.fingerprint, revoked, policy },
          `KEY_LAPSED_TOLD ${row.address} ${row.fingerprint} ${revoked ? 'revoked' : 'expired'} policy=${policy} told=${policy === 'required' ? 'moderators' : 'member'}`,
        );
        if (policy === 'required') result.moderatorsTold += 1;
        else result.membersTold += 1;
      }
    }
    if (copies > 0) queueMicrotask(ctx.outboxChanged);
    return result;
  });
}
