/**
 * OpenPGP keys that arrive by mail.
 *
 * - memberKey: a member mails its public key to the requests address. The mail must be
 *   authenticated by the member's domain (anyone can write a From); the key must be usable. The
 *   key then waits (store/keys openpgp_pending_keys) and the member gets a confirmation whose
 *   token travels only inside a mail encrypted to that key (outbox.encrypt_to, never in a
 *   Message-ID or an outer header): only the key's holder, reading the member's mailbox, can
 *   answer it.
 * - keyConfirmation: the member's CONFIRM carrying that token, from the member's address, makes
 *   the key the member's key; the member and the moderators are told.
 * - requestKeyParams / takeRequestKey: the key a join request carried, shown to the moderators
 *   and the applicant, and stored as the alias's key when the alias confirms its subscription.
 */
import { nowIso, type Context } from '../context';
import type { InboundMessage } from '../message/parse';
import { viewKey, type KeyFacts, type KeyView } from '../openpgp/attached-key';
import { formatFingerprint } from '../openpgp/keys';
import { encryptionActive } from '../openpgp/outbound';
import { checkToken } from '../policy/command-auth';
import { appendAudit } from '../store/audit';
import {
  factsOf,
  findKey,
  getPendingKey,
  getRequestKey,
  putKey,
  putPendingKey,
  type KeyRow,
  type RequestKeyRow,
} from '../store/keys';
import { isActiveMember } from '../store/members';
import { createToken, useToken } from '../store/tokens';
import { answerTo, sendTemplate } from './send';
import type { Action, ActResult } from './types';

export const memberKey: Action = (ctx, { inboundId, msg, snap }) => {
  const member = msg.from.address;
  const attached = snap.attachedKey;
  const at = nowIso(ctx);
  const refuse = (
    code: string,
    message: string,
    extra: { secret?: boolean; unauthenticated?: boolean; alreadyInUse?: boolean } = {},
  ): ActResult => {
    appendAudit(ctx.db, {
      at,
      actor: member,
      action: extra.alreadyInUse ? 'member.key-unchanged' : 'member.key-refused',
      object: member,
      messageId: msg.messageId,
      detail: { code },
    });
    ctx.log.child({ stage: 'act' }).info({ member, code }, `KEY_NOT_TAKEN ${member} code=${code}`);
    return {
      disposition: extra.alreadyInUse ? 'KEY_UNCHANGED' : 'KEY_REFUSED',
      copies: sendTemplate(ctx, inboundId, {
        ...answerTo(msg, member),
        template: 'member.notice.key-refused',
        params: {
          member,
          code,
          message,
          secret: extra.secret ?? false,
          unauthenticated: extra.unauthenticated ?? false,
          alreadyInUse: extra.alreadyInUse ?? false,
          moderators: ctx.config.list.moderators.join(', '),
        },
      }),
    };
  };
  // The chain sends only mail that carries a key here; anything else is a bug, answered as unreadable.
  if (!attached) return refuse('KEY_UNREADABLE', 'the mail carries no OpenPGP public key');
  if (attached.state === 'refused')
    return refuse(attached.code, attached.message, { secret: attached.code === 'KEY_IS_SECRET' });
  if (!encryptionActive(ctx.config))
    return refuse(
      'KEY_NOT_USED',
      'this list does not encrypt its mail (openpgp.enabled is off or policy.encryption is off), so it keeps no member keys; ask the moderators if you need encrypted copies',
    );
  if (snap.auth?.authenticated !== true)
    return refuse(
      'KEY_SENDER_UNAUTHENTICATED',
      `the mail is not authenticated by ${member}'s domain (${(snap.auth?.evidence ?? ['not checked']).join('; ')})`,
      { unauthenticated: true },
    );
  const { key } = attached;
  if (findKey(ctx.db, 'member', member)?.fingerprint === key.fingerprint)
    return refuse('KEY_ALREADY_IN_USE', `the key ${formatFingerprint(key.fingerprint)} is already ${member}'s key`, {
      alreadyInUse: true,
    });
  const days = ctx.config.policy.tokenDays;
  const token = createToken(ctx.db, {
    purpose: 'key',
    subject: member,
    detail: { fingerprint: key.fingerprint },
    at: ctx.clock(),
    days,
  });
  putPendingKey(ctx.db, token, member, key, at, msg.messageId);
  appendAudit(ctx.db, {
    at,
    actor: member,
    action: 'member.key-pending',
    object: member,
    messageId: msg.messageId,
    detail: { fingerprint: key.fingerprint, userIds: key.userIds },
  });
  const copies = sendTemplate(ctx, inboundId, {
    ...answerTo(msg, member),
    template: 'member.action.confirm-key',
    // Encrypted to the new key at delivery (store/keys keyToEncryptTo finds it waiting), or not sent at all.
    encryptTo: () => key.fingerprint,
    params: {
      member,
      token,
      key: viewKey(key, member),
      expires: new Date(ctx.clock().getTime() + days * 86_400_000).toISOString(),
    },
  });
  return { disposition: 'KEY_PENDING', copies };
};

export const keyConfirmation: Action = (ctx, { inboundId, msg, snap }) => {
  const check = checkToken(msg, snap, ['key']);
  const problem = (
    params: { problem?: string; noKeyword?: boolean; expired?: boolean; used?: boolean },
    state: string,
  ): ActResult => {
    appendAudit(ctx.db, {
      at: nowIso(ctx),
      actor: msg.from.address,
      action: 'member.key-confirmation-refused',
      object: check.row?.subject ?? null,
      messageId: msg.messageId,
      detail: { state },
    });
    return {
      disposition: 'REFUSED',
      copies: sendTemplate(ctx, inboundId, {
        ...answerTo(msg, msg.from.address),
        template: 'requester.notice.confirmation-problem',
        params,
      }),
    };
  };
  if (check.state !== 'valid')
    return problem(
      { problem: check.detail, expired: check.state === 'expired', used: check.state === 'used' },
      check.state,
    );
  const token = check.row;
  const member = token.subject ?? '';
  if (msg.from.address !== member.toLowerCase())
    return problem(
      { problem: `the key is confirmed from ${member}, the address it is for, not from ${msg.from.address}` },
      'wrong-sender',
    );
  if (snap.keyword?.keyword !== 'CONFIRM') return problem({ noKeyword: true }, 'no-keyword');
  const pending = getPendingKey(ctx.db, token.token);
  if (!pending || !isActiveMember(ctx.db, member)) return { disposition: 'STALE', copies: 0 };
  const facts = factsOf(pending);
  if (facts.expires && facts.expires.getTime() <= ctx.clock().getTime())
    return problem(
      { problem: `the key ${formatFingerprint(facts.fingerprint)} has expired since it was sent` },
      'key-expired',
    );
  const at = nowIso(ctx);
  useToken(ctx.db, token.token, msg.from.address, at);
  const previous = putKey(ctx.db, 'member', member, facts, at, `${member} (by mail)`);
  return keyAdded(
    ctx,
    inboundId,
    member,
    facts,
    previous,
    'sent by the member by mail and confirmed from the mail encrypted to it',
    msg,
  );
};

/** Audit, and tell the member and the moderators, that `member`'s key is now `facts`. */
function keyAdded(
  ctx: Context,
  inboundId: number | null,
  member: string,
  facts: KeyFacts,
  previous: KeyRow | undefined,
  via: string,
  msg: InboundMessage | null,
): ActResult {
  const at = nowIso(ctx);
  const view = viewKey(facts, member);
  const before =
    previous && previous.fingerprint !== facts.fingerprint ? formatFingerprint(previous.fingerprint) : null;
  appendAudit(ctx.db, {
    at,
    actor: member,
    action: 'member.key-add',
    object: member,
    messageId: msg?.messageId ?? null,
    detail: { fingerprint: facts.fingerprint, previous: previous?.fingerprint ?? null, via },
  });
  ctx.log
    .child({ stage: 'act' })
    .info({ member, fingerprint: facts.fingerprint }, `KEY_ADDED ${member} ${facts.fingerprint}`);
  let copies = sendTemplate(ctx, inboundId, {
    template: 'member.notice.key-added',
    to: [member],
    ...(msg ? { inReplyTo: msg.messageId, references: msg.references } : {}),
    params: { member, key: view, previous: before },
  });
  copies += sendTemplate(ctx, inboundId, {
    template: 'moderator.notice.member-key-added',
    to: ctx.config.list.moderators,
    params: { member, key: view, previous: before, via },
  });
  return { disposition: 'KEY_ADDED', copies };
}

/** The key a join request carried, when it was taken (no problem) and is whole. */
function requestKeyFacts(row: RequestKeyRow | undefined): KeyFacts | null {
  if (!row || row.problem_code || !row.fingerprint || !row.armored || !row.user_ids || !row.created) return null;
  return factsOf({
    ...row,
    fingerprint: row.fingerprint,
    armored: row.armored,
    user_ids: row.user_ids,
    created: row.created,
  });
}

/** What the moderators' and the applicant's mails show of the key a join request carried. */
export function requestKeyParams(
  row: RequestKeyRow | undefined,
  alias: string | null,
): { key: KeyView | null; keyProblem: { code: string; message: string } | null } {
  if (row?.problem_code)
    return { key: null, keyProblem: { code: row.problem_code, message: row.problem_message ?? '' } };
  const facts = requestKeyFacts(row);
  return { key: facts ? viewKey(facts, alias ?? '') : null, keyProblem: null };
}

/**
 * At the subscription (actions/confirmation): the key the join request carried becomes the
 * alias's key, if it is still usable by its stored end and the alias has no other key. Returns its
 * spaced fingerprint, or null.
 */
export function takeRequestKey(ctx: Context, requestId: number, alias: string, msg: InboundMessage): string | null {
  const facts = requestKeyFacts(getRequestKey(ctx.db, requestId));
  if (!facts) return null;
  if (facts.expires && facts.expires.getTime() <= ctx.clock().getTime()) {
    ctx.log
      .child({ stage: 'act' })
      .warn({ request: requestId, alias }, `KEY_NOT_TAKEN ${alias} code=KEY_EXPIRED request=${requestId}`);
    return null;
  }
  // A join request proves nobody holds the key: it never replaces a key the alias already has
  // (that takes the alias's own CONFIRM from a mail encrypted to the new key, keyConfirmation).
  const current = findKey(ctx.db, 'member', alias);
  if (current && current.fingerprint !== facts.fingerprint) {
    ctx.log
      .child({ stage: 'act' })
      .warn(
        { request: requestId, alias, kept: current.fingerprint, offered: facts.fingerprint },
        `KEY_NOT_TAKEN ${alias} code=KEY_ALREADY_SET request=${requestId}`,
      );
    return null;
  }
  const previous = putKey(ctx.db, 'member', alias, facts, nowIso(ctx), `join request #${requestId}`);
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: msg.from.address,
    action: 'member.key-add',
    object: alias,
    messageId: msg.messageId,
    detail: {
      fingerprint: facts.fingerprint,
      previous: previous?.fingerprint ?? null,
      via: `join request #${requestId}`,
    },
  });
  return formatFingerprint(facts.fingerprint);
}
