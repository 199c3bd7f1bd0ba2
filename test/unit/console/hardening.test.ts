/**
 * The console's hardening (review of issue 11): lockouts that can be ended and a limit per client
 * address, the Host allow-list, the asynchronous and bounded password checks, the failures'
 * index, sessions ended with a password, the Secure cookie's default, HEAD, and signing out of an
 * ended session.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildConsole } from '../../../src/console/server';
import { IP_LIMIT_FAILURES, LOCKOUT_FAILURES, VerifySlots } from '../../../src/console/auth';
import { LOGIN_BUSY, LOGIN_IP_LIMITED } from '../../../src/console/pages/login';
import { changePassword, signOut, unlock } from '../../../src/console/passwd';
import { consoleSecureCookies } from '../../../src/config';
import { AppError } from '../../../src/errors';
import { testConfig, trustedAuthConfig } from '../../helpers/context';
import { MODERATOR, MODERATOR_2, Membership } from '../../helpers/membership';
import { consoleDb, form, HOST, ORIGIN, PASSWORD, signedIn, withPassword } from './helpers';

const PUBLIC_ORIGIN = 'https://console.example.org';

/** A logger that keeps its lines. */
function capturingLog(): { log: pino.Logger; lines: { msg: string; [k: string]: unknown }[] } {
  const lines: { msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

function post(
  app: FastifyInstance,
  url: string,
  fields: Record<string, string>,
  opts: { ip?: string; host?: string; origin?: string; cookie?: string } = {},
) {
  return app.inject({
    method: 'POST',
    url,
    remoteAddress: opts.ip ?? '127.0.0.1',
    headers: {
      host: opts.host ?? HOST,
      origin: opts.origin ?? ORIGIN,
      'content-type': 'application/x-www-form-urlencoded',
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
    },
    payload: form(fields),
  });
}

const signIn = (app: FastifyInstance, address: string, password: string, ip = '127.0.0.1') =>
  post(app, '/login', { address, password }, { ip });

describe('console: hardening', () => {
  let m: Membership;
  let app: FastifyInstance;
  let lines: { msg: string; [k: string]: unknown }[];

  beforeEach(() => {
    const captured = capturingLog();
    lines = captured.lines;
    m = new Membership(undefined, { db: consoleDb(), log: captured.log });
    withPassword(m.ctx.db, MODERATOR);
    app = buildConsole(m.ctx, { secureCookies: false });
  });
  afterEach(() => app.close());

  describe('lockouts', () => {
    it('logs the account and the client address of a failed sign-in', async () => {
      await signIn(app, MODERATOR, 'not the password', '192.0.2.7');
      const line = lines.find((l) => l.msg.startsWith('CONSOLE_LOGIN_FAILED'));
      assert.ok(line, JSON.stringify(lines));
      assert.equal(line.msg, `CONSOLE_LOGIN_FAILED wrong ${MODERATOR} from 192.0.2.7`);
      assert.deepEqual([line.account, line.ip], [MODERATOR, '192.0.2.7']);
    });

    it('console unlock and console passwd end an account lockout at once', async () => {
      const lockOut = async () => {
        for (let i = 0; i < LOCKOUT_FAILURES; i += 1) await signIn(app, MODERATOR, 'attacker guess', '198.51.100.9');
        assert.equal((await signIn(app, MODERATOR, PASSWORD)).statusCode, 429);
      };
      await lockOut();
      assert.equal(unlock(m.ctx, MODERATOR.toUpperCase()), LOCKOUT_FAILURES);
      assert.equal((await signIn(app, MODERATOR, PASSWORD)).statusCode, 303);
      await lockOut();
      changePassword(m.ctx, MODERATOR, 'a brand new passphrase');
      assert.equal((await signIn(app, MODERATOR, 'a brand new passphrase')).statusCode, 303);
    });

    it('refuses a client address after IP_LIMIT_FAILURES failures, whatever the account; others sign in', async () => {
      const attacker = '203.0.113.5';
      // A different account each time: no account is locked, the address is.
      for (let i = 0; i < IP_LIMIT_FAILURES; i += 1) {
        const r = await signIn(app, `guess${i}@example.org`, 'guess', attacker);
        assert.equal(r.statusCode, 401, `attempt ${i + 1}`);
      }
      const limited = await signIn(app, MODERATOR, PASSWORD, attacker);
      assert.equal(limited.statusCode, 429);
      assert.ok(limited.body.includes(LOGIN_IP_LIMITED), limited.body);
      assert.ok(lines.some((l) => l.msg === `CONSOLE_LOGIN_FAILED ip-limited ${MODERATOR} from ${attacker}`));
      // The limit records nothing against the account, and another address signs in.
      assert.equal(
        m.ctx.db.prepare('SELECT count(*) FROM console_login_failures WHERE address = ?').pluck().get(MODERATOR),
        0,
      );
      assert.equal((await signIn(app, MODERATOR, PASSWORD, '192.0.2.44')).statusCode, 303);
      assert.equal(unlock(m.ctx, attacker), IP_LIMIT_FAILURES);
      assert.equal((await signIn(app, MODERATOR, PASSWORD, attacker)).statusCode, 303);
    });
  });

  describe('Host (DNS rebinding)', () => {
    it('answers the listen address and the loopback names with the port, and refuses any other Host with 400', async () => {
      for (const host of ['127.0.0.1:9466', 'localhost:9466', 'LOCALHOST:9466', '[::1]:9466']) {
        const r = await app.inject({ method: 'GET', url: '/login', headers: { host } });
        assert.equal(r.statusCode, 200, host);
      }
      for (const host of ['rebind.attacker.example:9466', 'rebind.attacker.example', '127.0.0.1', 'localhost:80']) {
        const r = await app.inject({ method: 'GET', url: '/login', headers: { host } });
        assert.equal(r.statusCode, 400, host);
      }
      // Signed in, a rebound name still reaches nothing.
      const b = await signedIn(app, MODERATOR);
      const r = await app.inject({
        method: 'GET',
        url: '/requests',
        headers: { host: 'rebind.attacker.example:9466', cookie: b.cookie },
      });
      assert.equal(r.statusCode, 400);
      assert.ok(lines.some((l) => l.msg === 'CONSOLE_HOST_REFUSED'));
    });

    it('behind a proxy: answers console.publicOrigin as Host and as Origin, and its cookie is Secure', async () => {
      const p = new Membership(`${trustedAuthConfig()}\nconsole: { publicOrigin: "${PUBLIC_ORIGIN}" }\n`, {
        db: consoleDb(),
      });
      withPassword(p.ctx.db, MODERATOR);
      const proxied = buildConsole(p.ctx);
      try {
        const page = await proxied.inject({ method: 'GET', url: '/login', headers: { host: 'console.example.org' } });
        assert.equal(page.statusCode, 200);
        // The proxy passes its upstream Host; the browser's Origin is the public one.
        const r = await post(proxied, '/login', { address: MODERATOR, password: PASSWORD }, { origin: PUBLIC_ORIGIN });
        assert.equal(r.statusCode, 303, r.body);
        assert.match(String(r.headers['set-cookie']), /^__Host-embargo_console=[^;]+;.*; Secure/);
        const other = await post(
          proxied,
          '/login',
          { address: MODERATOR, password: PASSWORD },
          { origin: 'https://evil.example' },
        );
        assert.equal(other.statusCode, 403);
      } finally {
        await proxied.close();
      }
    });

    it('config: console.publicOrigin must be an origin; console.secureCookies defaults from it and the listen host', () => {
      for (const bad of ['console.example.org', 'https://console.example.org/console', 'ftp://console.example.org'])
        assert.throws(
          () => testConfig(`console: { publicOrigin: "${bad}" }`),
          (e: AppError) => e.code === 'CONFIG_INVALID' && /console\.publicOrigin/.test(e.message),
          bad,
        );
      assert.equal(consoleSecureCookies(testConfig('console: { listen: { port: 9466 } }')), false);
      assert.equal(
        consoleSecureCookies(testConfig(`console: { listen: { port: 9466 }, publicOrigin: "${PUBLIC_ORIGIN}" }`)),
        true,
      );
      assert.equal(
        consoleSecureCookies(testConfig('console: { listen: { host: 0.0.0.0, port: 9466 }, allowRemote: true }')),
        true,
      );
      assert.equal(
        consoleSecureCookies(
          testConfig(`console: { listen: { port: 9466 }, publicOrigin: "${PUBLIC_ORIGIN}", secureCookies: false }`),
        ),
        false,
      );
    });
  });

  describe('password checks', () => {
    it('never calls scryptSync on a sign-in, known account or not', async () => {
      const real = crypto.scryptSync;
      crypto.scryptSync = () => {
        throw new Error('scryptSync blocks the event loop');
      };
      try {
        assert.equal((await signIn(app, 'nobody@example.org', PASSWORD)).statusCode, 401);
        assert.equal((await signIn(app, MODERATOR, 'wrong password')).statusCode, 401);
        assert.equal((await signIn(app, MODERATOR, PASSWORD)).statusCode, 303);
      } finally {
        crypto.scryptSync = real;
      }
    });

    it('checks at most MAX_VERIFICATIONS passwords at once: another sign-in is refused with 503 and Retry-After, counting nothing', async () => {
      const slots = new VerifySlots();
      const a = buildConsole(m.ctx, { secureCookies: false, slots });
      try {
        assert.equal(slots.max, 2);
        assert.ok(slots.tryTake() && slots.tryTake(), 'two checks running');
        assert.equal(slots.tryTake(), false);
        const busy = await signIn(a, MODERATOR, PASSWORD);
        assert.equal(busy.statusCode, 503);
        assert.equal(busy.headers['retry-after'], '2');
        assert.ok(busy.body.includes(LOGIN_BUSY), busy.body);
        assert.equal(m.ctx.db.prepare('SELECT count(*) FROM console_login_failures').pluck().get(), 0);
        slots.release();
        assert.equal((await signIn(a, MODERATOR, PASSWORD)).statusCode, 303);
        assert.equal(slots.tryTake(), true, 'the sign-in gave its slot back');
      } finally {
        await a.close();
      }
    });

    it('prunes and counts failures through indexes (migration 0011), not by scanning the table', () => {
      const plan = (sql: string, ...args: unknown[]) =>
        (m.ctx.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[])
          .map((r) => r.detail)
          .join('; ');
      const at = '2026-01-01T00:00:00.000Z';
      assert.match(
        plan('DELETE FROM console_login_failures WHERE at < ?', at),
        /USING (COVERING )?INDEX console_login_failures_at/,
      );
      assert.match(
        plan('SELECT count(*) FROM console_login_failures WHERE ip = ? AND at > ?', '192.0.2.1', at),
        /USING (COVERING )?INDEX console_login_failures_ip/,
      );
    });
  });

  describe('sessions', () => {
    it('a changed password ends the moderator sessions, not the others', async () => {
      withPassword(m.ctx.db, MODERATOR_2);
      const b = await signedIn(app, MODERATOR);
      const other = await signedIn(app, MODERATOR_2);
      changePassword(m.ctx, MODERATOR, 'a brand new passphrase');
      const after = await b.get('/requests');
      assert.deepEqual([after.status, after.headers.location], [303, '/login']);
      assert.equal((await other.get('/requests')).status, 200);
    });

    it('console signout ends every session of a moderator', async () => {
      withPassword(m.ctx.db, MODERATOR_2);
      const first = await signedIn(app, MODERATOR);
      const second = await signedIn(app, MODERATOR);
      const other = await signedIn(app, MODERATOR_2);
      assert.equal(signOut(m.ctx, MODERATOR.toUpperCase()), 2);
      assert.equal((await first.get('/requests')).status, 303);
      assert.equal((await second.get('/requests')).status, 303);
      assert.equal((await other.get('/requests')).status, 200);
      assert.ok(lines.some((l) => l.msg === `CONSOLE_SIGNOUT ${MODERATOR}`));
    });

    it('signing out of an ended session clears the cookie and goes to the sign-in page', async () => {
      const b = await signedIn(app, MODERATOR);
      m.clock.advance(m.ctx.config.console.sessionHours * 3_600_000 + 1000);
      const r = await post(app, '/logout', { _csrf: b.csrf }, { cookie: b.cookie });
      assert.equal(r.statusCode, 303);
      assert.equal(r.headers.location, '/login');
      assert.match(String(r.headers['set-cookie']), /^embargo_console=; .*Max-Age=0/);
    });
  });

  it('answers HEAD like GET: the public pages without a session, the others send to the sign-in page', async () => {
    for (const url of ['/login', '/console.css']) {
      const r = await app.inject({ method: 'HEAD', url, headers: { host: HOST } });
      assert.equal(r.statusCode, 200, url);
    }
    const r = await app.inject({ method: 'HEAD', url: '/requests', headers: { host: HOST } });
    assert.deepEqual([r.statusCode, r.headers.location], [303, '/login']);
  });
});
