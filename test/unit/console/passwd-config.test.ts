import assert from 'node:assert/strict';
import { changePassword } from '../../../src/console/passwd';
import { checkLogin, verifyPassword, VerifySlots } from '../../../src/console/auth';
import { AppError } from '../../../src/errors';
import { createTestContext, testConfig } from '../../helpers/context';
import { MODERATOR } from '../../helpers/membership';
import { consoleDb, PASSWORD } from './helpers';

describe('console passwd', () => {
  it('stores a salted scrypt hash that verifies, never the password', async () => {
    const ctx = createTestContext({ db: consoleDb() });
    assert.equal(changePassword(ctx, MODERATOR.toUpperCase(), PASSWORD), true);
    assert.equal(changePassword(ctx, MODERATOR, PASSWORD), false, 'a second time changes it');
    const stored = ctx.db.prepare('SELECT password_hash FROM console_accounts').pluck().all() as string[];
    assert.equal(stored.length, 1);
    assert.match(stored[0]!, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.ok(!stored[0]!.includes(PASSWORD));
    assert.equal(await verifyPassword(PASSWORD, stored[0]!), true);
    assert.equal(await verifyPassword(`${PASSWORD}x`, stored[0]!), false);
    const client = { ip: '192.0.2.1', slots: new VerifySlots() };
    assert.equal((await checkLogin(ctx.db, ctx.config, MODERATOR, PASSWORD, new Date(), client)).ok, true);
  });

  it('refuses an address that is not a moderator, and a short password', () => {
    const ctx = createTestContext({ db: consoleDb() });
    assert.throws(
      () => changePassword(ctx, 'someone@example.org', PASSWORD),
      (e: AppError) => e.code === 'CONSOLE_NOT_A_MODERATOR',
    );
    assert.throws(
      () => changePassword(ctx, MODERATOR, 'short'),
      (e: AppError) => e.code === 'CONSOLE_PASSWORD_INVALID',
    );
    assert.equal(ctx.db.prepare('SELECT count(*) FROM console_accounts').pluck().get(), 0);
  });
});

describe('config: console', () => {
  it('is off by default, on loopback when set', () => {
    assert.equal(testConfig().console.listen, null);
    const c = testConfig('console: { listen: { port: 9466 } }');
    assert.deepEqual(c.console.listen, { host: '127.0.0.1', port: 9466 });
    assert.equal(testConfig('console: { listen: { host: "::1", port: 9466 } }').console.listen?.host, '::1');
  });

  it('refuses a non-loopback host unless console.allowRemote is true, naming the key', () => {
    assert.throws(
      () => testConfig('console: { listen: { host: 0.0.0.0, port: 9466 } }'),
      (e: AppError) =>
        e.code === 'CONFIG_INVALID' &&
        /console\.listen\.host/.test(e.message) &&
        /console\.allowRemote: true/.test(e.message),
    );
    const c = testConfig('console: { listen: { host: 0.0.0.0, port: 9466 }, allowRemote: true }');
    assert.equal(c.console.listen?.host, '0.0.0.0');
  });
});
