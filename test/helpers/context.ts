import YAML from 'yaml';
/**
 * A Context for unit tests: the test list's configuration, an in-memory database migrated to the
 * newest schema, a silent logger, a fixed clock and the shipped templates.
 */
import path from 'node:path';
import pino from 'pino';
import { parseConfig, type Config } from '../../src/config';
import type { Context } from '../../src/context';
import { loadTemplates } from '../../src/mail/templates';
import { loadMigrations, migrate, openDb, type Db } from '../../src/store/db';
import { upsertMember } from '../../src/store/members';

/** The repository root, found from this file (test/helpers/ under the root). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/**
 * The shipped templates/ and migrations/ are named explicitly: the defaults in src/ are resolved
 * for the compiled layout (dist/src/...), and tests run the sources (see the path tests in
 * test/unit/mail/templates.test.ts and test/unit/store/db.test.ts).
 */
export const TEMPLATES_DIR = path.join(REPO_ROOT, 'templates');
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'migrations');

export const LIST_ADDRESS = 'security@lists.example.org';
export const REQUESTS_ADDRESS = 'security-requests@lists.example.org';
export const BOUNCE_ADDRESS = 'security-bounces@lists.example.org';
export const MODERATORS = ['moderator@example.org', 'second-moderator@example.org'];

export const TEST_CONFIG_YAML = `
list:
  name: Example Security
  address: ${LIST_ADDRESS}
  requestsAddress: ${REQUESTS_ADDRESS}
  moderators: [${MODERATORS.join(', ')}]
dataDir: /nonexistent/embargo-list-test
inbound:
  maildir: /nonexistent/embargo-list-test/inbox
outbound:
  directory: /nonexistent/embargo-list-test/outbox
  retry: { firstSeconds: 60, maxSeconds: 3600, giveUpHours: 72 }
log: { level: fatal, format: json }
`;

export const FIXED_DATE = new Date('2026-03-10T09:30:00.000Z');

/**
 * The test list's configuration; `extraYaml` adds top-level sections (such as `security:` or
 * `policy:`) that TEST_CONFIG_YAML does not have, e.g. trustedAuthConfig() below.
 */
export function testConfig(extraYaml = ''): Config {
  // Unit tests never reach DNS; the backbone's tests relay members' new posts without
  // authentication or a moderator; both have tests of their own that turn them on.
  const defaults = { security: { verifyDkim: false, requireAuthenticatedPosts: false }, policy: { membersMayOpenThreads: true } };
  const base = YAML.parse(TEST_CONFIG_YAML) as Record<string, unknown>;
  const extra = (YAML.parse(extraYaml) ?? {}) as Record<string, Record<string, unknown>>;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(defaults)) merged[key] = { ...value, ...(extra[key] ?? {}) };
  for (const [key, value] of Object.entries(extra)) if (!(key in defaults)) merged[key] = value;
  return parseConfig(YAML.stringify(merged), 'test');
}

/** The receiving host whose Authentication-Results the membership tests trust. */
export const TRUSTED_AUTHSERV_ID = 'mx.lists.example.org';

/**
 * A `security:` section that believes TRUSTED_AUTHSERV_ID and never verifies DKIM itself (no DNS
 * in unit tests): a moderator's reply is authenticated by the Authentication-Results on top.
 */
export function trustedAuthConfig(trusted: string[] = [TRUSTED_AUTHSERV_ID], opts: { requirePosts?: boolean } = {}): string {
  return `
security:
  trustedAuthservIds: [${trusted.join(', ')}]
  verifyDkim: false
  requireAuthenticatedPosts: ${opts.requirePosts ?? false}
`;
}

export function migratedMemoryDb(): Db {
  const db = openDb(':memory:');
  migrate(db, loadMigrations(MIGRATIONS_DIR));
  return db;
}

export function createTestContext(overrides: Partial<Context> = {}): Context {
  return {
    config: testConfig(),
    db: overrides.db ?? migratedMemoryDb(),
    log: pino({ level: 'silent' }),
    clock: () => FIXED_DATE,
    templates: loadTemplates(TEMPLATES_DIR),
    outboxChanged: () => {},
    ...overrides,
  };
}

/** A clock a test moves by hand. */
export interface ManualClock { now: () => Date; set(at: Date | string): void; advance(ms: number): void }

export function manualClock(start: Date = FIXED_DATE): ManualClock {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set: (at) => { current = new Date(at); },
    advance: (ms) => { current = new Date(current.getTime() + ms); },
  };
}

/** Adds active members (organization "Org <address>"). */
export function addMembers(ctx: Pick<Context, 'db'>, ...addresses: string[]): void {
  for (const a of addresses) upsertMember(ctx.db, a, `Org ${a}`, FIXED_DATE.toISOString());
}

/** A rules snapshot with everything off; tests turn on what they are about. */
export function snapshotWith(overrides: Partial<import('../../src/rules/types').Snapshot> = {}): import('../../src/rules/types').Snapshot {
  return {
    listAddress: LIST_ADDRESS, requestsAddress: REQUESTS_ADDRESS, bounceAddress: BOUNCE_ADDRESS, now: new Date('2026-11-26T12:00:00Z'),
    senderIsMember: false, senderIsModerator: false, alreadyRelayed: false, tokens: [], keyword: null, keywordDisagreement: null, auth: null,
    requireAuthenticatedPosts: false, thread: null, namedThread: null, isLeak: false, membersMayOpenThreads: true, rewriteFrom: true,
    ...overrides,
  };
}
