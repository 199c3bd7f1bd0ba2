/**
 * Every moderator's keyword, done on the server (the CLI, the web console) instead of by mail.
 * It runs the keyword's own code (commands/, actions/held-decision, actions/remove-member) with
 * the object named by number instead of by a token in a reply: the same checks, the same state
 * changes, the same mails to applicants, members and moderators, and the same audit rows, whose
 * actor is the person on the server and whose detail says { via }. What differs is only what a
 * mail needs: there is no inbound message, and a refusal is returned (ok=false, a stable code)
 * instead of mailed to the moderator.
 *
 * Authentication is the caller's: the CLI runs as a Unix user with access to the database, the
 * console has its login. So the mail path's three conditions (a moderator, authenticated, a live
 * token) are not asked again; a token that expired only protects a mail reply from replay, except
 * for SEND, whose returned post lapses with its token by mail too.
 */
import os from 'node:os';
import { COMMANDS } from '../commands';
import type { Command, CommandInput, CommandResult } from '../commands/types';
import type { Context } from '../context';
import { nowIso } from '../context';
import { AppError, type ErrorCode } from '../errors';
import { removeMemberWithNotice } from '../actions/remove-member';
import { isAddress, normalizeAddress } from '../message/address';
import { appendAudit, withAuditDetail } from '../store/audit';
import { transaction } from '../store/db';
import { getDisclosure } from '../store/disclosures';
import { getHeld } from '../store/held';
import { getLeak } from '../store/leaks';
import { findMember } from '../store/members';
import { getRequest, type RequestRow } from '../store/requests';
import {
  newestRequestToken,
  newestSubjectToken,
  returnedPostToken,
  type TokenPurpose,
  type TokenRow,
} from '../store/tokens';
import { deliverNow } from './deliver-now';
import { withContextAsync } from './with-context';

/**
 * What to do, to which object. The numbers are the ones the CLI and the console show:
 * request: `requests list`; held: `held list` (the held message's inbound number);
 * disclosure embargo|lift: the thread number (`disclosures list`);
 * disclosure send: the returned post's number (`disclosures returned`), which is no thread yet;
 * disclosure retro: the leak number (`leaks list`), since a retrospective belongs to one leak.
 */
export type ModeratorAction =
  | { kind: 'request'; verb: 'approve' | 'reject' | 'ask'; requestId: number; text: string | null }
  | { kind: 'held'; verb: 'approve' | 'reject' | 'discard'; heldId: number; text: string | null }
  | { kind: 'disclosure'; verb: 'embargo' | 'lift' | 'send' | 'retro'; disclosureId: number; text: string | null }
  | { kind: 'member'; verb: 'remove'; address: string; text: string | null };

/** cli: name = cliActor()'s `cli:<unix user>` or `cli:<sudo user> (as <unix user>)`; console: the moderator's address. */
export interface Actor {
  name: string;
  via: 'cli' | 'console';
}

export interface ActionOutcome {
  ok: boolean;
  /** null when done; else a stable code (REQUEST_NOT_FOUND, ALREADY_DECIDED, ALREADY_PUBLIC, EMBARGO_PAST...). */
  code: string | null;
  /** One sentence: what was done, or why not. */
  message: string;
  /** Copies put in the outbox. */
  copies: number;
}

/** The keyword each action is, on which kind of token: the very table the mail path uses. */
const KEYWORD: Record<string, [TokenPurpose, string]> = {
  'request.approve': ['moderate', 'APPROVE'],
  'request.reject': ['moderate', 'REJECT'],
  'request.ask': ['moderate', 'ASK'],
  'held.approve': ['held', 'APPROVE'],
  'held.reject': ['held', 'REJECT'],
  'held.discard': ['held', 'DISCARD'],
  'disclosure.embargo': ['thread', 'EMBARGO'],
  'disclosure.lift': ['thread', 'LIFT'],
  // SEND as it is, or EMBARGO <end> in reply to the returned post when an end is given.
  'disclosure.send': ['send', 'SEND'],
  'disclosure.retro': ['leak', 'RETRO'],
};

const DONE: Record<string, string> = {
  APPROVED: 'approved',
  REJECTED: 'rejected',
  ASKED: 'asked the applicant about',
  DISCARDED: 'discarded',
  EMBARGO_MOVED: 'moved the embargo end of',
  LIFTED: 'lifted the embargo of',
  DISCLOSED: 'opened a disclosure thread from',
  RETRO_CLOSED: 'closed the retrospective of',
  REMOVED: 'removed',
};

const refused = (code: ErrorCode, message: string): ActionOutcome => ({ ok: false, code, message, copies: 0 });

/** Every code a refusal carries, as a CLI error code too. */
const isErrorCode = (code: string): code is ErrorCode => REFUSAL_CODES.has(code);
const REFUSAL_CODES = new Set<string>([
  'REQUEST_NOT_FOUND',
  'HELD_NOT_FOUND',
  'MEMBER_NOT_FOUND',
  'ALREADY_DECIDED',
  'ALREADY_PUBLIC',
  'ARGUMENT_MISSING',
  'REQUEST_NO_ALIAS',
  'HELD_NOT_RELAYABLE',
  'DISCLOSURE_NOT_FOUND',
  'LEAK_NOT_FOUND',
  'RETURNED_POST_NOT_FOUND',
  'MEMBER_NOT_ACTIVE',
  'TOKEN_EXPIRED',
  'EMBARGO_MISSING',
  'EMBARGO_UNREADABLE',
  'EMBARGO_PAST',
  'EMBARGO_TOO_FAR',
  'EMBARGO_AMBIGUOUS',
  'NOT_DONE',
] satisfies ErrorCode[]);

/** What the object is and the token its keyword would arrive with; or why there is none. */
interface Target {
  label: string;
  token: TokenRow;
  request?: RequestRow;
  /** How a used token's object was decided, in the object's own words (held: discarded; leak: closed). */
  decidedAs?: string;
}

function findTarget(ctx: Context, action: Exclude<ModeratorAction, { kind: 'member' }>): Target | ActionOutcome {
  const { db } = ctx;
  switch (action.kind) {
    case 'request': {
      const request = getRequest(db, action.requestId);
      const token = request ? newestRequestToken(db, request.id, 'moderate') : undefined;
      if (!request || !token) return refused('REQUEST_NOT_FOUND', `there is no request #${action.requestId}`);
      return { label: `request #${request.id}`, token, request };
    }
    case 'held': {
      const held = getHeld(db, action.heldId);
      const token = held ? newestSubjectToken(db, 'held', String(action.heldId)) : undefined;
      if (!held || !token) return refused('HELD_NOT_FOUND', `there is no held message ${action.heldId}`);
      return { label: `held message ${action.heldId}`, token, decidedAs: held.state };
    }
    case 'disclosure': {
      const id = action.disclosureId;
      if (action.verb === 'send') {
        const token = returnedPostToken(db, id);
        if (!token) return refused('RETURNED_POST_NOT_FOUND', `there is no returned post ${id}`);
        return { label: `returned post ${id}`, token, decidedAs: 'sent' };
      }
      if (action.verb === 'retro') {
        const token = getLeak(db, id) ? newestSubjectToken(db, 'leak', String(id)) : undefined;
        if (!token) return refused('LEAK_NOT_FOUND', `there is no leak #${id}`);
        return { label: `leak #${id}`, token, decidedAs: 'closed' };
      }
      const token = getDisclosure(db, id) ? newestSubjectToken(db, 'thread', String(id)) : undefined;
      if (!token) return refused('DISCLOSURE_NOT_FOUND', `there is no disclosure #${id}`);
      return { label: `disclosure #${id}`, token };
    }
  }
}

/**
 * The mail path's "already decided" (actions/moderator-command): a request no longer before the
 * moderators, or a token used up. Audited as command.stale, as by mail.
 */
function stale(ctx: Context, actor: Actor, target: Target): ActionOutcome | null {
  const { request, token } = target;
  const decided = request ? !['moderation', 'asked'].includes(request.state) : token.used_at !== null;
  if (!decided) return null;
  appendAudit(ctx.db, {
    at: nowIso(ctx),
    actor: actor.name,
    action: 'command.stale',
    object: request ? `request:${request.id}` : token.subject,
  });
  const state = request?.state ?? target.decidedAs ?? 'decided';
  const by = request?.decided_by ?? token.used_by;
  const when = request?.decided_at ?? token.used_at;
  return refused(
    'ALREADY_DECIDED',
    `${target.label} was already ${state}${by ? ` by ${by}` : ''}${when ? ` at ${when}` : ''}${request?.reason ? `: ${request.reason}` : ''}`,
  );
}

function run(ctx: Context, actor: Actor, action: ModeratorAction): ActionOutcome {
  if (action.kind === 'member') {
    const address = action.address
      .trim()
      .replace(/^<|>$/g, '')
      .replace(/^mailto:/i, '');
    const member = isAddress(address) ? findMember(ctx.db, normalizeAddress(address)) : undefined;
    if (!member) return refused('MEMBER_NOT_FOUND', `${action.address} is not a member`);
    if (member.status !== 'active') return refused('MEMBER_NOT_ACTIVE', `${member.address} is not an active member`);
    // REMOVE by mail is two steps only because a new mail carries no token; CONFIRM does this.
    const copies = removeMemberWithNotice(ctx, null, member.address, actor.name, 'removed', action.text);
    if (copies < 0) return refused('MEMBER_NOT_ACTIVE', `${member.address} is not an active member`);
    return { ok: true, code: null, message: `removed ${member.address}`, copies };
  }
  const target = findTarget(ctx, action);
  if ('ok' in target) return target;
  const already = stale(ctx, actor, target);
  if (already) return already;
  if (action.kind === 'disclosure' && action.verb === 'send' && target.token.expires_at <= nowIso(ctx)) {
    return refused(
      'TOKEN_EXPIRED',
      `${target.label} can no longer be sent: it expired at ${target.token.expires_at}; post it to the list again`,
    );
  }
  const [purpose, word] = KEYWORD[`${action.kind}.${action.verb}`]!;
  // SEND with a date is the keyword EMBARGO <end> in reply to the returned post.
  const keyword = action.kind === 'disclosure' && action.verb === 'send' && action.text ? 'EMBARGO' : word;
  const command: Command | undefined = COMMANDS.get(purpose)?.get(keyword);
  if (!command) throw new Error(`no keyword ${keyword} for ${purpose} tokens`);
  const input: CommandInput = {
    inboundId: null,
    msg: null,
    actor: actor.name,
    argument: action.text === null || action.text.trim() === '' ? null : action.text.trim(),
    token: target.token,
    request: target.request,
  };
  const result: CommandResult = command(ctx, input);
  if (result.why !== undefined)
    return {
      ok: false,
      code: result.code ?? 'NOT_DONE',
      message: `${target.label}: ${result.why}`,
      copies: result.copies,
    };
  return {
    ok: true,
    code: null,
    message: `${DONE[result.disposition] ?? result.disposition.toLowerCase()} ${target.label}`,
    copies: result.copies,
  };
}

/**
 * Same checks, same state changes, same mails and same audit rows as the keyword by mail, in one
 * transaction; wakes the outbox after the commit. Never throws for a refusal: ok=false with a
 * stable code.
 */
export function moderatorAction(ctx: Context, actor: Actor, action: ModeratorAction): ActionOutcome {
  const outcome = transaction(ctx.db, () => withAuditDetail(ctx.db, { via: actor.via }, () => run(ctx, actor, action)));
  // The object and the verb, never the text: a reason or a summary may quote embargoed matter.
  const { text: _text, ...what } = action;
  const log = ctx.log.child({ stage: 'moderator-action', actor: actor.name, via: actor.via });
  if (outcome.ok) log.info({ ...what, copies: outcome.copies }, `MODERATOR_ACTION ${outcome.message}`);
  else log.warn({ ...what, code: outcome.code }, `MODERATOR_ACTION_REFUSED ${outcome.code} ${outcome.message}`);
  if (outcome.copies > 0) ctx.outboxChanged();
  return outcome;
}

/**
 * Who acts from the command line: cli:<the Unix user>, or, under sudo, cli:<the person who ran
 * sudo> (as <the Unix user the command runs as>), e.g. "cli:alice (as embargo)". SUDO_USER names
 * the person; the Unix user is what the system checked. One helper for every CLI command that
 * writes an audit row (members, held, requests, disclosures).
 */
export function cliActor(env: NodeJS.ProcessEnv = process.env): Actor {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (a container run with a bare uid): the uid still says who.
    user = env.USER ?? `uid${process.getuid?.() ?? ''}`;
  }
  const sudoUser = env.SUDO_USER?.trim();
  const name = sudoUser && sudoUser !== user ? `cli:${sudoUser} (as ${user})` : `cli:${user}`;
  return { name, via: 'cli' };
}

/** A number as the CLI takes it ("7" or "#7"); anything else is INPUT_UNREADABLE. */
export function objectNumber(id: string, what: string, listedBy: string): number {
  if (!/^#?\d{1,9}$/.test(id))
    throw new AppError('INPUT_UNREADABLE', `"${id}" is not a ${what} number; "embargo-list ${listedBy}" shows them`);
  return Number(id.replace('#', ''));
}

/**
 * One action from the CLI: prints one line of outcome and makes one delivery pass. A refusal is
 * an error with its code (exit 1), printed by the CLI as one line on standard error.
 */
export async function actFromCli(open: () => Context, action: ModeratorAction): Promise<void> {
  await withContextAsync(open, async (ctx) => {
    const outcome = moderatorAction(ctx, cliActor(), action);
    if (!outcome.ok)
      throw new AppError(outcome.code && isErrorCode(outcome.code) ? outcome.code : 'NOT_DONE', outcome.message);
    process.stdout.write(`${outcome.message}${outcome.copies ? `: ${outcome.copies} copies queued` : ''}\n`);
    if (outcome.copies > 0) await deliverNow(ctx);
  });
}
