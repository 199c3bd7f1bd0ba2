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
  // The shipped defaults (config/default.yaml, src/config.ts) apply, but for one: unit tests never
  // reach DNS, so the daemon never verifies DKIM itself. A test that needs authenticated senders
  // believes a receiving host (trustedAuthConfig()) and sends its Authentication-Results on top
  // (membership.ts authenticated(), authenticatedMail()).
  const defaults = { security: { verifyDkim: false }, policy: {} };
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
export function trustedAuthConfig(
  trusted: string[] = [TRUSTED_AUTHSERV_ID],
  opts: { requirePosts?: boolean } = {},
): string {
  return `
security:
  trustedAuthservIds: [${trusted.join(', ')}]
  verifyDkim: false
  requireAuthenticatedPosts: ${opts.requirePosts ?? true}
`;
}

/**
 * For tests of the relay backbone (a member's new post moved to every member): members may open
 * threads, which the shipped policy does not allow (it holds such a post for a moderator, as
 * test/unit/actions/held.test.ts shows). Posts must still be authenticated, as shipped: send them
 * with authenticatedMail() from membership.ts. `extraYaml` adds other top-level sections.
 */
export function backboneConfig(extraYaml = ''): Config {
  return testConfig(`${trustedAuthConfig()}\npolicy: { membersMayOpenThreads: true }\n${extraYaml}`);
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
export interface ManualClock {
  now: () => Date;
  set(at: Date | string): void;
  advance(ms: number): void;
}

export function manualClock(start: Date = FIXED_DATE): ManualClock {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at);
    },
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
    },
  };
}

/** Adds active members (organization "Org <address>"). */
export function addMembers(ctx: Pick<Context, 'db'>, ...addresses: string[]): void {
  for (const a of addresses) upsertMember(ctx.db, a, `Org ${a}`, FIXED_DATE.toISOString());
}

/**
 * A rules snapshot of a stranger's plain mail under the shipped configuration (posts must be
 * authenticated, members may not open threads, From rewritten); tests set what they are about.
 */
export function snapshotWith(
  overrides: Partial<import('../../src/rules/types').Snapshot> = {},
): import('../../src/rules/types').Snapshot {
  return {
    listAddress: LIST_ADDRESS,
    requestsAddress: REQUESTS_ADDRESS,
    bounceAddress: BOUNCE_ADDRESS,
    now: new Date('2026-11-26T12:00:00Z'),
    senderIsMember: false,
    senderIsModerator: false,
    alreadyRelayed: false,
    tokens: [],
    keyword: null,
    keywordDisagreement: null,
    auth: null,
    requireAuthenticatedPosts: true,
    thread: null,
    namedThread: null,
    isLeak: false,
    membersMayOpenThreads: false,
    rewriteFrom: true,
    maxMessageBytes: 5_242_880,
    maxMimeParts: 100,
    attachedKey: null,
    ...overrides,
  };
}
