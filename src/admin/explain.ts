/**
 * embargo-list explain FILE: how the pipeline classifies a raw message and what it extracts,
 * as JSON, changing nothing. The database is opened read-only (an in-memory empty one when
 * there is none yet), so the answer reflects the list's real members and tokens.
 */
import { readAttachedKey } from '../openpgp/attached-key';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { extractRequest } from '../actions/join-request';
import { decide } from '../chains/inbound';
import type { Config } from '../config';
import type { Context } from '../context';
import { AppError } from '../errors';
import { readHeaderOnly } from '../message/header-only';
import { parseMessage } from '../message/parse';
import { openInbound } from '../openpgp/inbound';
import { loadListKey } from '../openpgp/list-key';
import { checkCommand } from '../policy/command-auth';
import { MODERATOR_PURPOSES } from '../message/tokens';
import { classify, UNREADABLE_RULES } from '../rules';
import { authenticate, snapshot } from '../snapshot';
import { findKey } from '../store/keys';
import { findEmbargoEnd } from '../policy/embargo-date';
import { dbFile, loadMigrations, migrate, openDb, schemaVersion, type Db } from '../store/db';
import type { Logger } from 'pino';
import type { TemplateSet } from '../mail/templates';

function openReadOnly(config: Config): Db {
  const file = dbFile(path.resolve(config.dataDir));
  if (!fs.existsSync(file)) {
    const db = openDb(':memory:');
    migrate(db);
    return db;
  }
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const newest = loadMigrations().length;
  const version = schemaVersion(db);
  if (version !== newest) {
    db.close();
    if (version > newest)
      throw new AppError(
        'DB_TOO_NEW',
        `the database is at schema version ${version}, but this embargo-list knows only up to ${newest}; upgrade embargo-list`,
      );
    throw new AppError(
      'DB_NOT_MIGRATED',
      `the database is at schema version ${version}, older than this embargo-list's ${newest}; run "embargo-list migrate" first (explain changes nothing itself)`,
    );
  }
  return db;
}

/** The embargo reading as explain prints it: the end and its line, or the problem (with its proposal). */
export function embargoView(found: ReturnType<typeof findEmbargoEnd>): Record<string, unknown> {
  if (found.ok) return { end: found.end.end.toISOString(), line: found.end.line };
  const p = found.problem;
  const view: Record<string, unknown> = { problem: p.code, message: p.message };
  if (p.code === 'EMBARGO_PROPOSED')
    view.proposal = { end: p.proposal.end.toISOString(), line: p.proposal.line, why: p.proposal.why };
  if (p.code === 'EMBARGO_UNREADABLE') view.line = p.line;
  if (p.code === 'EMBARGO_AMBIGUOUS') view.lines = p.lines;
  if (p.code === 'EMBARGO_PAST' || p.code === 'EMBARGO_TOO_FAR') view.end = p.end.toISOString();
  return view;
}

export async function explain(
  config: Config,
  log: Logger,
  templates: TemplateSet,
  file: string,
  opts: { now?: Date } = {},
): Promise<Record<string, unknown>> {
  let raw: Buffer;
  try {
    raw = file === '-' ? fs.readFileSync(0) : fs.readFileSync(file);
  } catch (err) {
    throw new AppError('INPUT_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`);
  }
  const db = openReadOnly(config);
  try {
    // --now: the mail is judged as if it arrived then (its embargo end, its tokens' age).
    const clock = opts.now ? () => new Date(opts.now!.getTime()) : () => new Date();
    const ctx: Context = { config, db, log, clock, templates, outboxChanged: () => undefined };
    // Encrypted to the list's key: explained as the daemon handles it, decrypted (the plaintext is not printed).
    if (config.openpgp.enabled) ctx.listKey = (await loadListKey(config.dataDir)) ?? undefined;
    const opened = await openInbound(ctx, (owner, address) => findKey(db, owner, address), raw);
    if (opened.state === 'refused') {
      const head = readHeaderOnly(raw);
      const snap = { ...snapshot(ctx, 0, head, null), unreadable: { code: opened.code, detail: opened.detail } };
      const hits = classify(head, snap, UNREADABLE_RULES);
      const decision = decide(hits, snap);
      return {
        kind: decision.outcome,
        label: decision.label,
        message: { messageId: head.messageId, from: head.from.address, subject: head.subject },
        hits,
        encryption: { state: 'refused', code: opened.code, detail: opened.detail },
      };
    }
    const msg = await parseMessage(opened.state === 'decrypted' ? opened.message : raw);
    const auth = await authenticate(ctx, msg, { original: raw, opened });
    const snap = snapshot(ctx, 0, msg, auth, undefined, await readAttachedKey(msg.publicKeyParts, ctx.clock()));
    const hits = classify(msg, snap);
    const decision = decide(hits, snap);
    const out: Record<string, unknown> = {
      kind: decision.outcome,
      label: decision.label,
      message: { messageId: msg.messageId, from: msg.from.address, subject: msg.subject },
      hits,
    };
    if (opened.state === 'decrypted')
      out.encryption = {
        state: 'decrypted',
        signature: opened.signature.ok ? opened.signature.fingerprint : opened.signature.code,
        mismatched: opened.mismatched,
      };
    // Which header field (or the daemon's own verification) settled the sender's authentication.
    if (auth)
      out.authentication = {
        authenticated: auth.authenticated,
        method: auth.method,
        decidedBy: auth.decidedBy,
        evidence: auth.evidence,
      };
    if (decision.outcome === 'join-request') {
      const r = extractRequest(ctx, msg);
      out.request = {
        organization: r.organization,
        alias: r.alias,
        answers: r.answers,
        missing: r.missing,
        acceptsEmbargo: r.acceptsEmbargo,
        aliasFindings: r.aliasFindings.map((f) => ({ code: f.code, severity: f.severity, message: f.message })),
      };
    }
    // What the embargo reader makes of a disclosure (or of any post that has an embargo line).
    const embargo = findEmbargoEnd(msg.text, {
      now: clock(),
      maxDays: config.policy.maxEmbargoDays,
      mailDate: msg.date,
    });
    if (decision.outcome === 'open-disclosure' || embargo.ok || embargo.problem.code !== 'EMBARGO_MISSING')
      out.embargo = embargoView(embargo);
    if (snap.keyword || decision.outcome === 'moderator-command') {
      out.command = snap.keyword ? { keyword: snap.keyword.keyword, argument: snap.keyword.argument } : null;
      const remove = decision.outcome === 'moderator-command' && decision.command === 'remove';
      const a = checkCommand(msg, snap, remove ? ['remove'] : [...MODERATOR_PURPOSES]);
      out.auth = {
        moderator: a.moderator,
        token: {
          state: remove ? 'not-needed' : a.token.state,
          detail: a.token.detail,
          request: a.token.row?.request_id ?? null,
        },
        authenticated: a.authenticated,
        method: auth?.method ?? null,
        // The proof that decided (a header field, our DKIM verification, or "openpgp signature by <fingerprint>"),
        // with the signature's coverage of the token when it decided.
        decidedBy: auth ? a.decidedBy : null,
        evidence: a.evidence,
      };
    }
    return out;
  } finally {
    db.close();
  }
}
