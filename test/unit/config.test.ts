import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bounceAddress, DEFAULT_CONFIG_FILE, listId, loadConfig, parseConfig, redact } from '../../src/config';
import { AppError } from '../../src/errors';
import { REPO_ROOT, TEST_CONFIG_YAML } from '../helpers/context';

const MINIMAL = `
list:
  name: Example Security
  address: security@lists.example.org
  requestsAddress: security-requests@lists.example.org
  moderators: [moderator@example.org]
dataDir: ./data
inbound:
  maildir: ./data/inbox
outbound:
  directory: ./data/outbox
`;

const IMAP_SMTP = `
list:
  name: Example Security
  address: security@lists.example.org
  requestsAddress: security-requests@lists.example.org
  moderators: [moderator@example.org]
dataDir: ./data
inbound:
  imap: { host: imap.example.org, port: 993, secure: true, user: list, password: file-secret }
outbound:
  smtp: { host: smtp.example.org, port: 587, user: list, password: smtp-secret }
`;

function configError(fragment: string | RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AppError, `an AppError, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    if (typeof fragment === 'string') assert.ok(err.message.includes(fragment), err.message);
    else assert.match(err.message, fragment);
    return true;
  };
}

describe('config', () => {
  describe('parseConfig', () => {
    it('accepts a minimal file and fills in every default', () => {
      const c = parseConfig(MINIMAL, 'test');
      assert.deepEqual(c.outbound.retry, { firstSeconds: 60, maxSeconds: 3600, giveUpHours: 72 });
      assert.equal(c.outbound.pollSeconds, 5);
      assert.deepEqual(c.log, { level: 'info', format: 'auto' });
      assert.equal(c.list.bounceAddress, undefined);
    });

    it('fills in the moderation-queue, size, auto-reply and From rewrite defaults, the secure ones', () => {
      const c = parseConfig(MINIMAL, 'test');
      assert.deepEqual(
        [c.policy.membersMayOpenThreads, c.policy.holdDays, c.policy.maxMessageBytes, c.policy.autoRepliesPerDay],
        [false, 14, 5 * 1024 * 1024, 10],
      );
      assert.deepEqual(c.relay, { fromRewrite: 'always', dkim: null });
    });

    it('refuses a bounce address too long for per-member addresses, naming the key', () => {
      const long = `${'x'.repeat(50)}@lists.example.org`;
      assert.throws(
        () => parseConfig(`${MINIMAL}`.replace(/address: [^\n]+/, `address: ${long}`), 'test'),
        configError('list.address'),
      );
    });

    it('names relay.fromRewrite when it is not always, dmarc or never', () => {
      assert.throws(
        () => parseConfig(`${MINIMAL}relay: { fromRewrite: sometimes }\n`, 'test'),
        configError('relay.fromRewrite'),
      );
    });

    it('fills in the IMAP and SMTP defaults', () => {
      const c = parseConfig(IMAP_SMTP, 'test');
      assert.equal(c.inbound.imap?.mailbox, 'INBOX');
      assert.equal(c.inbound.imap?.processedMailbox, 'Processed');
      assert.equal(c.inbound.imap?.quarantineMailbox, 'Quarantine');
      assert.equal(c.inbound.imap?.idle, true);
      assert.equal(c.inbound.imap?.batchSize, 200);
      assert.equal(c.outbound.smtp?.secure, false);
      assert.equal(c.outbound.smtp?.maxConnections, 5);
    });

    it('names a missing key and what was expected', () => {
      assert.throws(
        () => parseConfig(MINIMAL.replace('dataDir: ./data\n', ''), 'my.yaml'),
        configError('my.yaml: dataDir: missing; expected string'),
      );
    });

    it('names a misspelt key as unknown', () => {
      assert.throws(
        () => parseConfig(MINIMAL.replace('dataDir:', 'dataDri: x\ndataDir:'), 'test'),
        configError(/test: dataDri: unknown key/),
      );
    });

    it('names a misspelt nested key with its path', () => {
      assert.throws(
        () => parseConfig(`${MINIMAL}  retyr: { firstSeconds: 1 }\n`, 'test'),
        configError('outbound.retyr: unknown key'),
      );
    });

    it('refuses a list address that is not an address, saying what is expected', () => {
      assert.throws(
        () => parseConfig(MINIMAL.replace('address: security@lists.example.org', 'address: security'), 'test'),
        configError('list.address: expected an email address'),
      );
    });

    it('refuses an address with an injected line break', () => {
      assert.throws(
        () =>
          parseConfig(
            MINIMAL.replace(
              'address: security@lists.example.org',
              'address: "security@lists.example.org\\r\\nBcc: x@evil.example"',
            ),
            'test',
          ),
        configError('list.address'),
      );
    });

    it('refuses a list without moderators', () => {
      assert.throws(
        () => parseConfig(MINIMAL.replace('[moderator@example.org]', '[]'), 'test'),
        configError('list.moderators: expected at least one moderator address'),
      );
    });

    it('refuses both or neither of inbound.imap and inbound.maildir', () => {
      const both = IMAP_SMTP.replace('inbound:\n', 'inbound:\n  maildir: ./x\n');
      assert.throws(
        () => parseConfig(both, 'test'),
        configError('inbound: expected exactly one of inbound.imap or inbound.maildir'),
      );
      assert.throws(
        () => parseConfig(MINIMAL.replace('  maildir: ./data/inbox\n', '  {}\n'), 'test'),
        configError('inbound'),
      );
    });

    it('refuses both of outbound.smtp and outbound.directory', () => {
      const both = IMAP_SMTP.replace('outbound:\n', 'outbound:\n  directory: ./x\n');
      assert.throws(
        () => parseConfig(both, 'test'),
        configError('outbound: expected exactly one of outbound.smtp or outbound.directory'),
      );
    });

    it('refuses a port out of range and a non-positive retry time', () => {
      assert.throws(
        () => parseConfig(IMAP_SMTP.replace('port: 993', 'port: 70000'), 'test'),
        configError('inbound.imap.port'),
      );
      assert.throws(
        () => parseConfig(`${MINIMAL}  retry: { firstSeconds: 0 }\n`, 'test'),
        configError('outbound.retry.firstSeconds'),
      );
    });

    it('refuses text that is not YAML, and YAML that is not a mapping', () => {
      assert.throws(() => parseConfig('list: [unclosed', 'test'), configError('test: not valid YAML'));
      assert.throws(() => parseConfig('- a\n- b\n', 'test'), configError('expected a YAML mapping'));
      assert.throws(() => parseConfig('', 'test'), configError('expected a YAML mapping'));
    });

    it('takes the passwords from the environment when they are set there', () => {
      const c = parseConfig(IMAP_SMTP, 'test', {
        EMBARGO_LIST_IMAP_PASSWORD: 'env-imap',
        EMBARGO_LIST_SMTP_PASSWORD: 'env-smtp',
      });
      assert.equal(c.inbound.imap?.password, 'env-imap');
      assert.equal(c.outbound.smtp?.password, 'env-smtp');
    });

    it("keeps the file's passwords when the environment variables are empty", () => {
      const c = parseConfig(IMAP_SMTP, 'test', { EMBARGO_LIST_IMAP_PASSWORD: '', EMBARGO_LIST_SMTP_PASSWORD: '' });
      assert.equal(c.inbound.imap?.password, 'file-secret');
      assert.equal(c.outbound.smtp?.password, 'smtp-secret');
    });

    it('does not invent an IMAP section from a password in the environment', () => {
      const c = parseConfig(MINIMAL, 'test', { EMBARGO_LIST_IMAP_PASSWORD: 'env-imap' });
      assert.equal(c.inbound.imap, undefined);
    });
  });

  describe('loadConfig', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-config-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reads the named file and says where it came from', () => {
      const file = path.join(dir, 'list.yaml');
      fs.writeFileSync(file, MINIMAL);
      const loaded = loadConfig(file, {});
      assert.equal(loaded.source, file);
      assert.equal(loaded.embedded, false);
      assert.equal(loaded.config.list.name, 'Example Security');
    });

    it('reads the file named by EMBARGO_LIST_CONFIG when no file is given', () => {
      const file = path.join(dir, 'env.yaml');
      fs.writeFileSync(file, MINIMAL);
      assert.equal(loadConfig(undefined, { EMBARGO_LIST_CONFIG: file }).source, file);
    });

    it('refuses a missing file with CONFIG_NOT_FOUND', () => {
      assert.throws(
        () => loadConfig(path.join(dir, 'absent.yaml'), {}),
        (err: unknown) => err instanceof AppError && err.code === 'CONFIG_NOT_FOUND',
      );
    });

    it('refuses an unreadable path with CONFIG_UNREADABLE', () => {
      assert.throws(
        () => loadConfig(dir, {}),
        (err: unknown) => err instanceof AppError && err.code === 'CONFIG_UNREADABLE',
      );
    });

    it('falls back to the shipped config/default.yaml, which is valid', () => {
      assert.equal(DEFAULT_CONFIG_FILE, path.join(REPO_ROOT, 'config', 'default.yaml'));
      const loaded = loadConfig(undefined, {});
      assert.equal(loaded.embedded, true);
      assert.equal(loaded.source, 'embedded default');
      // A local trial: members' new posts go out at once there, and only there.
      assert.equal(loaded.config.policy.membersMayOpenThreads, true);
      assert.equal(
        loadConfig(path.join(REPO_ROOT, 'config', 'default.yaml'), {}).config.policy.membersMayOpenThreads,
        false,
      );
    });

    it('finds the shipped config/default.yaml valid when named explicitly', () => {
      const loaded = loadConfig(path.join(REPO_ROOT, 'config', 'default.yaml'), {});
      assert.equal(loaded.config.list.address, 'example-early-disclosure@lists.example.org');
    });
  });

  describe('derived values', () => {
    it('derives the bounce address from the list address unless one is configured', () => {
      const c = parseConfig(MINIMAL, 'test');
      assert.equal(bounceAddress(c), 'security-bounces@lists.example.org');
      const custom = parseConfig(
        MINIMAL.replace('  moderators:', '  bounceAddress: returns@lists.example.org\n  moderators:'),
        'test',
      );
      assert.equal(bounceAddress(custom), 'returns@lists.example.org');
    });

    it('derives the RFC 2919 list id from the list address', () => {
      assert.equal(listId(parseConfig(TEST_CONFIG_YAML, 'test')), 'security.lists.example.org');
    });

    it('redacts the passwords in a copy and leaves the original alone', () => {
      const c = parseConfig(IMAP_SMTP, 'test');
      const safe = redact(c);
      assert.equal(safe.inbound.imap?.password, '[redacted]');
      assert.equal(safe.outbound.smtp?.password, '[redacted]');
      assert.equal(c.inbound.imap?.password, 'file-secret');
      assert.doesNotMatch(JSON.stringify(safe), /file-secret|smtp-secret/);
    });

    it('leaves an absent password absent when redacting', () => {
      const c = parseConfig(IMAP_SMTP.replace(', password: file-secret', ''), 'test');
      assert.equal(redact(c).inbound.imap?.password, null);
    });
  });
});
