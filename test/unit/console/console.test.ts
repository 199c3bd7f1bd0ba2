import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildConsole, SECURITY_HEADERS } from '../../../src/console/server';
import { LOGIN_LOCKED, LOGIN_WRONG } from '../../../src/console/pages/login';
import { LIST_ADDRESS } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { Disclosures, OPENING_SUBJECT, OPENING_TEXT } from '../../helpers/disclosures';
import { MODERATOR, MODERATOR_2, Membership, joinRequest } from '../../helpers/membership';
import { consoleDb, form, HOST, login, ORIGIN, PASSWORD, signedIn, withPassword } from './helpers';

const GET_ROUTES = ['/', '/requests', '/disclosures', '/held', '/members', '/leaks', '/audit', '/audit?actor=x'];
const POST_ROUTES = [
  '/logout',
  '/requests/1/approve',
  '/requests/1/reject',
  '/requests/1/ask',
  '/held/1/approve',
  '/held/1/reject',
  '/held/1/discard',
  '/disclosures/1/lift',
  '/disclosures/1/embargo',
];

describe('console: the web console', () => {
  let m: Membership;
  let app: FastifyInstance;

  beforeEach(() => {
    m = new Membership(undefined, { db: consoleDb() });
    withPassword(m.ctx.db, MODERATOR);
    app = buildConsole(m.ctx, { secureCookies: false });
  });
  afterEach(() => app.close());

  describe('sign-in', () => {
    it('signs a moderator in with an HttpOnly, SameSite=Strict session cookie and audits it', async () => {
      const res = await login(app, MODERATOR);
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, '/requests');
      const cookie = String(res.headers['set-cookie']);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.doesNotMatch(cookie, /Secure/, 'plain http on loopback');
      assert.deepEqual(m.auditActions(), ['console.sign-in']);
      assert.equal(m.audit()[0]!.actor, MODERATOR);
    });

    it('marks the cookie Secure when the console is served beyond loopback', async () => {
      const remote = buildConsole(m.ctx, { secureCookies: true });
      const res = await login(remote, MODERATOR);
      assert.match(String(res.headers['set-cookie']), /^__Host-embargo_console=[^;]+;.*; Secure/);
      await remote.close();
    });

    it('refuses a wrong password and an unknown account with the same words', async () => {
      const wrong = await login(app, MODERATOR, 'not the password at all');
      const unknown = await login(app, 'nobody@example.org', PASSWORD);
      const noPassword = await login(app, MODERATOR_2, PASSWORD);
      for (const r of [wrong, unknown, noPassword]) {
        assert.equal(r.statusCode, 401);
        assert.ok(r.body.includes(LOGIN_WRONG.replace(/'/g, '&#39;')));
        assert.equal(r.headers['set-cookie'], undefined);
      }
    });

    it('locks an address for 15 minutes after 5 failures, existing or not, then lets it in again', async () => {
      for (const address of [MODERATOR, 'nobody@example.org']) {
        for (let i = 0; i < 5; i += 1) await login(app, address, 'wrong password here');
        const locked = await login(app, address, PASSWORD);
        assert.equal(locked.statusCode, 429);
        assert.ok(locked.body.includes('Signing in with this address is paused'), locked.body);
        assert.ok(LOGIN_LOCKED.includes('15 minutes'));
      }
      // Another moderator is not locked by them.
      withPassword(m.ctx.db, MODERATOR_2);
      assert.equal((await login(app, MODERATOR_2)).statusCode, 303);
      m.clock.advance(15 * 60_000 + 1000);
      assert.equal((await login(app, MODERATOR)).statusCode, 303);
    });

    it('refuses an address that has a password but is no longer a moderator', async () => {
      withPassword(m.ctx.db, 'former@example.org');
      assert.equal((await login(app, 'former@example.org')).statusCode, 401);
    });

    it('ends the session after console.sessionHours', async () => {
      const b = await signedIn(app, MODERATOR);
      assert.equal((await b.get('/requests')).status, 200);
      m.clock.advance(m.ctx.config.console.sessionHours * 3_600_000 + 1000);
      const after = await b.get('/requests');
      assert.equal(after.status, 303);
      assert.equal(after.headers.location, '/login');
    });

    it('signs out: the cookie opens nothing afterwards', async () => {
      const b = await signedIn(app, MODERATOR);
      assert.equal((await b.post('/logout', { _csrf: b.csrf })).status, 303);
      assert.equal((await b.get('/requests')).status, 303);
    });
  });

  describe('without a session', () => {
    it('answers no page: every GET route sends to the sign-in page', async () => {
      for (const url of GET_ROUTES) {
        const r = await app.inject({ method: 'GET', url, headers: { host: HOST } });
        assert.equal(r.statusCode, 303, url);
        assert.equal(r.headers.location, '/login', url);
      }
    });

    it('acts on nothing: every POST route is refused (but /logout, which clears the cookie)', async () => {
      await m.submit();
      const before = m.state();
      for (const url of POST_ROUTES.filter((u) => u !== '/logout')) {
        const r = await app.inject({
          method: 'POST',
          url,
          headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ text: 'x' }),
        });
        assert.equal(r.statusCode, 403, url);
      }
      assert.deepEqual(m.state(), before);
    });

    it('shows no embargoed text on any page', async () => {
      const d = new Disclosures('', undefined, { db: consoleDb() });
      await d.open();
      const a = buildConsole(d.ctx, { secureCookies: false });
      for (const url of [...GET_ROUTES, '/login', '/nonexistent', '/console.css']) {
        const r = await a.inject({ method: 'GET', url, headers: { host: HOST } });
        assert.ok(!r.body.includes(OPENING_TEXT) && !r.body.includes('header smuggling'), url);
      }
      for (const url of POST_ROUTES) {
        const r = await a.inject({ method: 'POST', url, headers: { host: HOST, origin: ORIGIN } });
        assert.ok(!r.body.includes(OPENING_TEXT) && !r.body.includes('header smuggling'), url);
      }
      // Signed in, the thread is there.
      withPassword(d.ctx.db, MODERATOR);
      const b = await signedIn(a, MODERATOR);
      assert.ok((await b.get('/disclosures')).body.includes(OPENING_SUBJECT));
      await a.close();
    });
  });

  it('sends the security headers with every answer', async () => {
    const b = await signedIn(app, MODERATOR);
    const answers = [
      await app.inject({ method: 'GET', url: '/login', headers: { host: HOST } }),
      await app.inject({ method: 'GET', url: '/requests', headers: { host: HOST } }),
      await app.inject({ method: 'GET', url: '/nowhere', headers: { host: HOST } }),
      await app.inject({ method: 'GET', url: '/console.css', headers: { host: HOST } }),
    ];
    for (const r of answers)
      for (const [k, v] of Object.entries(SECURITY_HEADERS))
        assert.equal(r.headers[k.toLowerCase()], v, `${r.raw.req.url} ${k}`);
    assert.match(SECURITY_HEADERS['Content-Security-Policy']!, /^default-src 'none'/);
    const page = await b.get('/held');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['x-frame-options'], 'DENY');
  });

  describe('CSRF', () => {
    it('refuses a POST without the token, with a wrong one, or from another origin, and changes nothing', async () => {
      await m.submit();
      const b = await signedIn(app, MODERATOR);
      const before = m.state();
      const refused = [
        await b.post('/requests/1/approve', {}),
        await b.post('/requests/1/approve', { _csrf: `${b.csrf.slice(0, -1)}${b.csrf.endsWith('A') ? 'B' : 'A'}` }),
        await b.post('/requests/1/approve', { _csrf: b.csrf }, { origin: 'http://evil.example' }),
        await b.post('/requests/1/approve', { _csrf: b.csrf }, { origin: 'null' }),
        await b.post('/requests/1/approve', { _csrf: b.csrf }, { 'sec-fetch-site': 'cross-site' }),
        await b.post('/requests/1/approve', { _csrf: b.csrf }, { 'sec-fetch-site': 'same-site' }),
      ];
      for (const r of refused) assert.equal(r.status, 403);
      // Neither Origin nor Referer: refused too.
      const bare = await app.inject({
        method: 'POST',
        url: '/requests/1/approve',
        headers: { host: HOST, cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ _csrf: b.csrf }),
      });
      assert.equal(bare.statusCode, 403);
      assert.deepEqual(m.state(), before);
    });

    it('refuses a sign-in form posted from another origin', async () => {
      const r = await app.inject({
        method: 'POST',
        url: '/login',
        headers: { host: HOST, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ address: MODERATOR, password: PASSWORD }),
      });
      assert.equal(r.statusCode, 403);
    });
  });

  describe('pages and actions', () => {
    it('shows a pending request with the criteria and the answers side by side, and approves it as the moderator', async () => {
      await m.submit(joinRequest());
      const b = await signedIn(app, MODERATOR);
      const page = await b.get('/requests');
      assert.equal(page.status, 200);
      assert.ok(page.body.includes('Have an actively monitored security email alias'));
      assert.ok(page.body.includes('We distribute the &quot;Seven&quot; distribution of Istio'));
      assert.match(page.body, /waited <strong>0 min<\/strong>/);
      assert.match(page.body, /sender (NOT )?authenticated/);
      const r = await b.post('/requests/1/approve', { _csrf: b.csrf });
      assert.equal(r.status, 303);
      assert.equal(r.location, '/requests');
      assert.equal(m.request(1).state, 'confirming');
      assert.equal(m.request(1).decided_by, MODERATOR);
      const approve = m.audit().find((a) => a.action === 'request.approve');
      assert.ok(approve, JSON.stringify(m.audit()));
      assert.equal(approve.actor, MODERATOR);
      assert.match(approve.detail ?? '', /"via":"console"/);
      const after = await b.get('/requests');
      assert.match(after.body, /class="flash"[^>]*>approved/);
      const audit = await b.get('/audit?action=request.approve');
      assert.ok(audit.body.includes('request.approve') && audit.body.includes(MODERATOR));
      assert.match(audit.body, /1 row,/);
    });

    it('says why an action was not done', async () => {
      const b = await signedIn(app, MODERATOR);
      await b.post('/requests/99/reject', { _csrf: b.csrf, text: 'no' });
      assert.match((await b.get('/requests')).body, /Not done \(REQUEST_NOT_FOUND\)/);
    });

    it('shows a hostile held message as escaped plain text with every reason', async () => {
      const hostile = 'Hello <script>alert(1)</script> and <img src=http://x/y.png> "quoted" & done';
      const raw = makeMessage({
        from: 'stranger@outside.example',
        to: LIST_ADDRESS,
        subject: 'Hi <b>there</b>',
        body: hostile,
      });
      const result = await m.receive(raw);
      assert.equal(result.outcome, 'hold', JSON.stringify(result));
      const html = makeMessage({
        from: 'stranger@outside.example',
        to: LIST_ADDRESS,
        subject: 'html only',
        body: '<html><body><p>Visible</p><script>steal()</script><img src="http://tracker.example/p.gif"></body></html>',
        headers: { 'Content-Type': 'text/html; charset=utf-8' },
      });
      assert.equal((await m.receive(html)).outcome, 'hold');
      const b = await signedIn(app, MODERATOR);
      const page = await b.get('/held');
      assert.equal(page.status, 200);
      assert.ok(!/<script/i.test(page.body), 'no script element');
      assert.ok(!/<img/i.test(page.body), 'no image element');
      assert.ok(!page.body.includes('<b>there'), 'no markup from the subject');
      assert.ok(page.body.includes('Hello &lt;script&gt;alert(1)&lt;&#x2F;script&gt;'), page.body);
      assert.ok(page.body.includes('Visible'));
      assert.ok(!page.body.includes('tracker.example'));
      const reasons = JSON.parse(
        m.ctx.db.prepare('SELECT reasons FROM held ORDER BY inbound_id LIMIT 1').pluck().get() as string,
      ) as string[];
      for (const reason of reasons)
        assert.ok(
          page.body.includes(
            reason
              .replace(/&/g, '&amp;')
              .replace(/"/g, '&quot;')
              .replace(/</g, '&lt;')
              .replace(/>/g, '&gt;')
              .replace(/'/g, '&#39;')
              .replace(/\//g, '&#x2F;')
              .replace(/`/g, '&#x60;')
              .replace(/=/g, '&#x3D;'),
          ),
          reason,
        );
    });
  });
});
