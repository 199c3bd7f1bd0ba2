/**
 * Driving disclosure threads in unit tests the way the daemon does: the Membership harness (raw
 * mail through processRaw(), a clock the test moves, the outbox read back as parsed mails) with
 * three members, posts to the list that the trusted receiving host authenticated, and
 * security.requireAuthenticatedPosts on.
 */
import assert from 'node:assert/strict';
import type { Context } from '../../src/context';
import type { ProcessResult } from '../../src/runners/pipeline';
import type { DisclosureRow, ReceiptRow } from '../../src/store/disclosures';
import type { LeakRow } from '../../src/store/leaks';
import { upsertMember } from '../../src/store/members';
import { LIST_ADDRESS, trustedAuthConfig } from './context';
import { makeMessage } from './mail-factory';
import { authenticated, Membership, MODERATOR, type Sent } from './membership';

export const HOUR = 3_600_000;

export interface TestMember {
  address: string;
  organization: string;
}

export const ALPHA: TestMember = { address: 'psirt@alpha.example', organization: 'Alpha' };
export const BETA: TestMember = { address: 'security@beta.example', organization: 'Beta' };
export const GAMMA: TestMember = { address: 'secure@gamma.example', organization: 'Gamma' };
export const MEMBERS: readonly TestMember[] = [ALPHA, BETA, GAMMA];

export const OPENING_SUBJECT = 'CVE-2026-0001: header smuggling in the proxy';
export const OPENING_TEXT = 'Details of the issue: a CRLF in a header value reaches the upstream.';

/** The configuration of the disclosure tests: trusted Authentication-Results, posts must be authenticated, `policy` (YAML flow mapping body) added. */
export function disclosureConfig(policy = ''): string {
  return `${trustedAuthConfig(undefined, { requirePosts: true })}${policy ? `\npolicy: { ${policy} }\n` : ''}`;
}

/** "2026-03-13T09:30:00Z": an instant as a moderator writes it in an Embargo: line. */
export function isoLine(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The domain of an address, which its Authentication-Results vouch for. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

export interface PostOptions {
  from: string;
  subject?: string;
  body: string;
  /** Default: the list address. */
  to?: string | string[];
  inReplyTo?: string;
  references?: string[];
  messageId?: string;
  /** false: no Authentication-Results on top (a forged or unsigned sender). Default true. */
  auth?: boolean;
}

/** A mail to the list (unless `to` says otherwise), authenticated for the sender's domain by default. */
export function listMail(opts: PostOptions): Buffer {
  const raw = makeMessage({
    from: opts.from,
    to: opts.to ?? LIST_ADDRESS,
    subject: opts.subject ?? 'A post',
    body: opts.body,
    inReplyTo: opts.inReplyTo,
    references: opts.references,
    messageId: opts.messageId,
  });
  return opts.auth === false ? raw : Buffer.concat([Buffer.from(`${authenticated(domainOf(opts.from))}\r\n`), raw]);
}

export interface Opened {
  result: ProcessResult;
  /** The copy of the opening post that ALPHA got. */
  copy: Sent;
  /** The moderators' "Disclosure #N opened" mail, with the thread token. */
  opened: Sent;
  /** The opening post's Message-ID. */
  messageId: string;
  end: Date;
}

export class Disclosures extends Membership {
  constructor(policy = '', members: readonly TestMember[] = MEMBERS, overrides: Partial<Context> = {}) {
    super(disclosureConfig(policy), overrides);
    for (const m of members) upsertMember(this.ctx.db, m.address, m.organization, this.clock.now().toISOString());
  }

  /** The harness clock's now plus `ms`. */
  at(ms: number): Date {
    return new Date(this.clock.now().getTime() + ms);
  }

  post(opts: PostOptions): Promise<ProcessResult> {
    return this.receive(listMail(opts));
  }

  /** A moderator's authenticated post to the list whose first line says when the embargo ends. */
  async open(opts: { end?: Date; subject?: string; extra?: string; from?: string } = {}): Promise<Opened> {
    const end = opts.end ?? this.at(3 * 86_400_000);
    const before = this.mark();
    const raw = listMail({
      from: opts.from ?? MODERATOR,
      subject: opts.subject ?? OPENING_SUBJECT,
      body: `Embargo: ${isoLine(end)}\n${opts.extra ?? ''}\n${OPENING_TEXT}\n`,
    });
    const messageId = /^Message-ID: (<[^>]+>)/im.exec(raw.toString('utf8'))![1]!;
    const result = await this.receive(raw);
    assert.equal(result.outcome, 'open-disclosure');
    const copy = await this.find(ALPHA.address, /\[#\d+\]/, before);
    const opened = await this.find(MODERATOR, /Disclosure #\d+ opened/, before);
    return { result, copy, opened, messageId, end };
  }

  /** A member's reply to a mail of the thread, to the list, authenticated. */
  replyInThread(from: string, to: Sent | string, body: string, subject?: string): Promise<ProcessResult> {
    const id = typeof to === 'string' ? to : to.messageId;
    return this.post({
      from,
      subject: subject ?? (typeof to === 'string' ? `Re: ${OPENING_SUBJECT}` : `Re: ${to.subject}`),
      body,
      inReplyTo: id,
      references: [id],
    });
  }

  disclosure(id: number): DisclosureRow {
    const row = this.ctx.db.prepare('SELECT * FROM disclosures WHERE id = ?').get(id) as DisclosureRow | undefined;
    assert.ok(row, `disclosure #${id} exists`);
    return row;
  }

  disclosures(): DisclosureRow[] {
    return this.ctx.db.prepare('SELECT * FROM disclosures ORDER BY id').all() as DisclosureRow[];
  }

  receipts(id: number): ReceiptRow[] {
    return this.ctx.db
      .prepare('SELECT * FROM receipts WHERE disclosure_id = ? ORDER BY member')
      .all(id) as ReceiptRow[];
  }

  threadMessages(id: number): string[] {
    return this.ctx.db
      .prepare('SELECT message_id FROM thread_messages WHERE disclosure_id = ? ORDER BY rowid')
      .pluck()
      .all(id) as string[];
  }

  leaks(): LeakRow[] {
    return this.ctx.db.prepare('SELECT * FROM leaks ORDER BY id').all() as LeakRow[];
  }

  /** The outcome and label the pipeline recorded for an inbound message. */
  inbound(id: number): { outcome: string | null; hits: string | null; status: string } {
    return this.ctx.db.prepare('SELECT outcome, hits, status FROM inbound WHERE id = ?').get(id) as never;
  }

  /** Mails after `after` sent to `address` whose subject matches. */
  async mailsTo(address: string, subject: RegExp, after = 0): Promise<Sent[]> {
    return (await this.sent(after)).filter((m) => m.to.includes(address) && subject.test(m.subject));
  }
}
