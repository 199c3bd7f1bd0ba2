/**
 * Driving the membership workflow in unit tests the way the daemon does: raw mail through
 * processRaw() into an in-memory database, with a clock the test moves, and what the daemon
 * wants sent read back from the outbox, parsed.
 */
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import type { Context } from '../../src/context';
import { processRaw, type ProcessResult } from '../../src/runners/pipeline';
import type { RequestEvent, RequestRow } from '../../src/store/requests';
import type { TokenRow } from '../../src/store/tokens';
import {
  createTestContext,
  manualClock,
  MODERATORS,
  REPO_ROOT,
  REQUESTS_ADDRESS,
  testConfig,
  trustedAuthConfig,
  TRUSTED_AUTHSERV_ID,
  type ManualClock,
} from './context';
import { makeMessage, type MessageOptions } from './mail-factory';

export const MODERATOR = MODERATORS[0]!;
export const MODERATOR_2 = MODERATORS[1]!;
/** The moderators' domain, which their Authentication-Results vouch for. */
export const MODERATOR_DOMAIN = 'example.org';

export const APPLICANT = 'jane.doe@seven-corp.example';
export const ALIAS = 'security@seven-corp.example';
export const DAY = 86_400_000;

/** One mail the daemon put in the outbox, parsed. */
export interface Sent {
  id: number;
  purpose: string;
  to: string[];
  messageId: string;
  subject: string;
  text: string;
  inReplyTo: string | undefined;
  autoSubmitted: string | undefined;
  /** The tk- token its Message-ID carries, if any. */
  token: string | null;
}

const TOKEN_IN_ID = /tk-([a-z2-7]{26})@/;

export class Membership {
  readonly ctx: Context;
  readonly clock: ManualClock;
  private n = 0;

  /** `overrides` replace parts of the context, e.g. a file database or the real clock. */
  constructor(extraYaml = trustedAuthConfig(), overrides: Partial<Context> = {}) {
    this.clock = manualClock();
    this.ctx = createTestContext({ config: testConfig(extraYaml), clock: this.clock.now, ...overrides });
  }

  /** One raw message through the pipeline, as a source hands it over. */
  receive(raw: Buffer): Promise<ProcessResult> {
    this.n += 1;
    return processRaw(this.ctx, `test:${this.n}`, raw);
  }

  /** The highest outbox_message id so far: pass it to sent() to see only what came after. */
  mark(): number {
    return this.ctx.db.prepare('SELECT coalesce(max(id), 0) FROM outbox_message').pluck().get() as number;
  }

  async sent(after = 0): Promise<Sent[]> {
    const rows = this.ctx.db
      .prepare('SELECT id, purpose, message_id, raw FROM outbox_message WHERE id > ? ORDER BY id')
      .all(after) as { id: number; purpose: string; message_id: string; raw: Buffer }[];
    const out: Sent[] = [];
    for (const r of rows) {
      const to = this.ctx.db
        .prepare('SELECT recipient FROM outbox WHERE message = ? ORDER BY id')
        .pluck()
        .all(r.id) as string[];
      const parsed = await simpleParser(r.raw);
      const auto = parsed.headers.get('auto-submitted');
      out.push({
        id: r.id,
        purpose: r.purpose,
        to,
        messageId: r.message_id,
        subject: parsed.subject ?? '',
        text: parsed.text ?? '',
        inReplyTo: parsed.inReplyTo,
        autoSubmitted: typeof auto === 'string' ? auto : undefined,
        token: TOKEN_IN_ID.exec(r.message_id)?.[1] ?? null,
      });
    }
    return out;
  }

  /** The last mail to `address` whose subject matches, after `after`; fails the test when there is none. */
  async find(address: string, subject: RegExp, after = 0): Promise<Sent> {
    const found = (await this.sent(after)).filter((m) => m.to.includes(address) && subject.test(m.subject));
    assert.ok(found.length > 0, `a mail to ${address} with a subject like ${subject}`);
    return found[found.length - 1]!;
  }

  request(id: number): RequestRow {
    const row = this.ctx.db.prepare('SELECT * FROM requests WHERE id = ?').get(id) as RequestRow | undefined;
    assert.ok(row, `request #${id} exists`);
    return row;
  }

  events(id: number): RequestEvent[] {
    return this.ctx.db
      .prepare('SELECT * FROM request_events WHERE request_id = ? ORDER BY id')
      .all(id) as RequestEvent[];
  }

  token(token: string): TokenRow | undefined {
    return this.ctx.db.prepare('SELECT * FROM tokens WHERE token = ?').get(token) as TokenRow | undefined;
  }

  tokens(): TokenRow[] {
    return this.ctx.db.prepare('SELECT * FROM tokens ORDER BY rowid').all() as TokenRow[];
  }

  audit(): { actor: string; action: string; object: string | null; detail: string | null }[] {
    return this.ctx.db.prepare('SELECT actor, action, object, detail FROM audit ORDER BY id').all() as never;
  }

  auditActions(): string[] {
    return this.audit().map((a) => a.action);
  }

  member(address: string): { address: string; organization: string; status: string } | undefined {
    return this.ctx.db
      .prepare('SELECT address, organization, status FROM members WHERE address = ?')
      .get(address) as never;
  }

  /** Everything a command could change, to show that a refused one changed none of it. */
  state(): unknown {
    const q = (sql: string): unknown[] => this.ctx.db.prepare(sql).all();
    return {
      requests: q('SELECT * FROM requests ORDER BY id'),
      events: q('SELECT * FROM request_events ORDER BY id'),
      tokens: q('SELECT * FROM tokens ORDER BY token'),
      members: q('SELECT * FROM members ORDER BY id'),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Steps of the workflow

  /** Sends a join request and returns the moderators' mail about it. */
  async submit(raw: Buffer = joinRequest()): Promise<Sent> {
    const before = this.mark();
    const result = await this.receive(raw);
    assert.equal(result.outcome, 'join-request');
    return this.find(MODERATOR, /Join request #\d+/, before);
  }

  /** An authenticated moderator's reply to one of our mails. */
  async command(to: Sent, body: string, from = MODERATOR): Promise<ProcessResult> {
    return this.receive(reply({ from, to, body, auth: authenticated(MODERATOR_DOMAIN) }));
  }

  /** A request approved: returns the confirmation mail sent to the alias. */
  async approved(raw: Buffer = joinRequest()): Promise<{ moderation: Sent; confirm: Sent }> {
    const moderation = await this.submit(raw);
    const before = this.mark();
    await this.command(moderation, 'APPROVE\n');
    const confirm = await this.find(ALIAS, /Confirm subscription of/, before);
    return { moderation, confirm };
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

export interface JoinRequestOptions {
  from?: string;
  fromName?: string;
  organization?: string;
  alias?: string;
  subject?: string;
  messageId?: string;
  /** The answers to criteria 1..5; null leaves a criterion out. */
  answers?: (string | null)[];
  headers?: Record<string, string>;
}

/** A join request in the shape of the policy document's example, to the requests address. */
export function joinRequest(opts: JoinRequestOptions = {}): Buffer {
  const org = opts.organization ?? 'Seven-Corp';
  const alias = opts.alias ?? ALIAS;
  const answers = opts.answers ?? [
    `Yes, please subscribe ${alias} to the early disclosure list.`,
    `We distribute the "Seven" distribution of Istio. We have been doing this since 2017.`,
    'Our user base spans the extensive "Seven" community.',
    'Our members Acidburn, Cereal and ZeroCool are well known in the community.',
    'We accept.',
  ];
  const criteria = [
    'Have an actively monitored security alias email for our project.',
    'Be involved in redistributing Istio or have a product with close coupling to Istio.',
    'Have a user base not limited to your own organization.',
    'Be a participant and active contributor in the Istio community.',
    'Accept the Embargo Policy that is outlined above.',
  ];
  const parts = criteria.flatMap((c, i) => (answers[i] == null ? [] : [`> ${i + 1}. ${c}\n\n${answers[i]}\n`]));
  const body = `Below are each criterion and why I think we, ${org}, qualify.\n\n${parts.join('\n')}`;
  return makeMessage({
    from: `${opts.fromName ?? 'Jane Doe'} <${opts.from ?? APPLICANT}>`,
    to: REQUESTS_ADDRESS,
    subject: opts.subject ?? `${org} Membership to Early Disclosure Mailing List`,
    body,
    messageId: opts.messageId,
    headers: opts.headers,
  });
}

/** The policy document's own example request (test/fixtures/join-requests/policy-example.eml), sent to our requests address. */
export function policyExample(): Buffer {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'join-requests', 'policy-example.eml'), 'utf8');
  return Buffer.from(text.replace(/^To: .*$/m, `To: ${REQUESTS_ADDRESS}`), 'utf8');
}

/** The Authentication-Results the trusted receiving host writes on top of a message it authenticated. */
export function authenticated(domain: string, opts: { authservId?: string; dkimDomain?: string } = {}): string {
  const dkim = opts.dkimDomain ?? domain;
  return `Authentication-Results: ${opts.authservId ?? TRUSTED_AUTHSERV_ID}; dkim=pass header.d=${dkim} header.s=sel; dmarc=pass header.from=${domain}`;
}

/** makeMessage() with the trusted receiving host's Authentication-Results for the From domain on top. */
export function authenticatedMail(opts: MessageOptions): Buffer {
  const address = /<([^<>]+)>\s*$/.exec(opts.from)?.[1] ?? opts.from;
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return Buffer.concat([Buffer.from(`${authenticated(domain)}\r\n`), makeMessage(opts)]);
}

export interface ReplyOptions {
  from: string;
  /** The mail answered: its Message-ID goes in In-Reply-To and References. Omit for a new mail. */
  to?: Sent;
  body: string;
  /** A header line put on top of the message, e.g. authenticated(...). */
  auth?: string;
  subject?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
}

export function reply(opts: ReplyOptions): Buffer {
  const raw = makeMessage({
    from: opts.from,
    to: REQUESTS_ADDRESS,
    subject: opts.subject ?? (opts.to ? `Re: ${opts.to.subject}` : 'Command'),
    inReplyTo: opts.inReplyTo ?? opts.to?.messageId,
    references: opts.references ?? (opts.to ? [opts.to.messageId] : undefined),
    body: opts.body,
    headers: opts.headers,
  });
  return opts.auth ? Buffer.concat([Buffer.from(`${opts.auth}\r\n`), raw]) : raw;
}

/** An authenticated moderator's HTML-only reply. */
export function htmlReply(to: Sent, html: string): Buffer {
  return reply({
    from: MODERATOR,
    to,
    body: html,
    auth: authenticated(MODERATOR_DOMAIN),
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
  });
}

/** An authenticated moderator's multipart/alternative reply: a text/plain and an HTML part. */
export function alternativeReply(to: Sent, plain: string, html: string): Buffer {
  const body = [
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    '',
    plain,
    '',
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    '',
    '--alt--',
    '',
  ].join('\n');
  return reply({
    from: MODERATOR,
    to,
    body,
    auth: authenticated(MODERATOR_DOMAIN),
    headers: { 'Content-Type': 'multipart/alternative; boundary="alt"' },
  });
}
