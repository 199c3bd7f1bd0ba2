import assert from 'node:assert/strict';
import net from 'node:net';
import type { Status } from '../../../src/admin/status';
import { metrics, startHttp, type HttpEndpoint, type Probe } from '../../../src/runners/http';

const STATUS: Status = {
  at: '2026-03-10T09:30:00.000Z',
  inbound: { received: 1, processed: 20, quarantined: 2 },
  outbox: { pending: 3, sending: 1, sent: 40, failed: 4, oldestPendingAt: '2026-03-10T09:00:00.000Z' },
  requests: {
    open: 2,
    waiting: 2,
    pastReminder: 1,
    pastEscalation: 0,
    oldestWaitingSince: '2026-03-06T09:30:00.000Z',
  },
  disclosures: { embargoed: 5, nextEmbargoEnd: '2026-03-12T16:00:00.000Z' },
  leaks: { openRetrospectives: 1 },
  members: { active: 12, unreachable: 1 },
  held: { waiting: 2 },
  lastImapContact: '2026-03-10T09:29:30.000Z',
};

describe('runners/http', () => {
  let endpoint: HttpEndpoint | null = null;
  let current: Probe = () => ({ ...STATUS, healthy: true });

  async function start(): Promise<string> {
    endpoint = await startHttp({ host: '127.0.0.1', port: 0 }, () => current());
    return `http://127.0.0.1:${endpoint.port}`;
  }

  afterEach(async () => {
    await endpoint?.close();
    endpoint = null;
    current = () => ({ ...STATUS, healthy: true });
  });

  it('listens on the port the system chose when asked for port 0', async () => {
    await start();
    assert.ok(endpoint!.port > 0);
  });

  it('answers GET /healthz with 200 "ok" when healthy', async () => {
    const res = await fetch(`${await start()}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
  });

  it('answers GET /healthz with 503 when not healthy', async () => {
    current = () => ({ ...STATUS, healthy: false });
    const res = await fetch(`${await start()}/healthz`);
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'unhealthy\n');
  });

  it('answers 503 on /healthz and 500 on /metrics when the probe throws, without its message', async () => {
    current = () => {
      throw new Error('SQLITE_BUSY: secret detail');
    };
    const base = await start();
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 503);
    assert.doesNotMatch(await health.text(), /secret/);
    const m = await fetch(`${base}/metrics`);
    assert.equal(m.status, 500);
    assert.doesNotMatch(await m.text(), /secret/);
  });

  it('ignores a query string', async () => {
    const res = await fetch(`${await start()}/healthz?from=monitor`);
    assert.equal(res.status, 200);
  });

  it('serves the gauges on GET /metrics in the Prometheus text format', async () => {
    const res = await fetch(`${await start()}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    for (const line of [
      'embargo_list_healthy 1',
      'embargo_list_inbound_messages{status="received"} 1',
      'embargo_list_inbound_messages{status="processed"} 20',
      'embargo_list_inbound_messages{status="quarantined"} 2',
      'embargo_list_outbox_messages{status="pending"} 3',
      'embargo_list_outbox_messages{status="sending"} 1',
      'embargo_list_outbox_messages{status="sent"} 40',
      'embargo_list_outbox_messages{status="failed"} 4',
      `embargo_list_outbox_oldest_pending_timestamp_seconds ${Date.parse('2026-03-10T09:00:00Z') / 1000}`,
      'embargo_list_requests_open 2',
      'embargo_list_requests_waiting{past="all"} 2',
      'embargo_list_requests_waiting{past="reminder"} 1',
      'embargo_list_requests_waiting{past="escalation"} 0',
      `embargo_list_requests_oldest_waiting_timestamp_seconds ${Date.parse('2026-03-06T09:30:00Z') / 1000}`,
      'embargo_list_disclosures_embargoed 5',
      `embargo_list_next_embargo_end_timestamp_seconds ${Date.parse('2026-03-12T16:00:00Z') / 1000}`,
      'embargo_list_leak_retrospectives_open 1',
      'embargo_list_members_active 12',
      `embargo_list_last_imap_contact_timestamp_seconds ${Date.parse('2026-03-10T09:29:30Z') / 1000}`,
    ]) {
      assert.ok(body.split('\n').includes(line), `missing line ${line} in\n${body}`);
    }
  });

  it('gives every metric family one HELP and one TYPE gauge line before its samples', () => {
    const lines = metrics({ ...STATUS, healthy: true })
      .trimEnd()
      .split('\n');
    const families = new Set(lines.filter((l) => !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!));
    for (const name of families) {
      const help = lines.indexOf(lines.find((l) => l.startsWith(`# HELP ${name} `))!);
      const type = lines.indexOf(`# TYPE ${name} gauge`);
      const firstSample = lines.findIndex((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      assert.ok(help >= 0 && type === help + 1 && firstSample > type, `family ${name}`);
    }
    for (const l of lines)
      assert.match(l, /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"\})? -?\d+(\.\d+)?(e[+-]?\d+)?)$/, l);
  });

  it('leaves out the samples of times that are unknown, and says 0 when unhealthy', () => {
    const text = metrics({
      ...STATUS,
      outbox: { ...STATUS.outbox, oldestPendingAt: null },
      disclosures: { embargoed: 0, nextEmbargoEnd: null },
      lastImapContact: null,
      healthy: false,
    });
    assert.match(text, /^# TYPE embargo_list_last_imap_contact_timestamp_seconds gauge$/m);
    assert.doesNotMatch(text, /^embargo_list_last_imap_contact_timestamp_seconds /m);
    assert.doesNotMatch(text, /^embargo_list_outbox_oldest_pending_timestamp_seconds /m);
    assert.doesNotMatch(text, /^embargo_list_next_embargo_end_timestamp_seconds /m);
    assert.match(text, /^embargo_list_healthy 0$/m);
  });

  it('answers 404 for any other path', async () => {
    const base = await start();
    for (const p of ['/', '/metrics/', '/healthz/x', '/status']) {
      const res = await fetch(`${base}${p}`);
      assert.equal(res.status, 404, p);
      await res.text();
    }
  });

  it('answers 405 with Allow: GET for another method on a known path', async () => {
    const base = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'HEAD']) {
      const res = await fetch(`${base}/metrics`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET');
      await res.arrayBuffer();
    }
  });

  it('answers 400 to a request line it cannot read as a path', async () => {
    await start();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(endpoint!.port, '127.0.0.1', () =>
        socket.end('GET http://[bad/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (d) => {
        data += d.toString('latin1');
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(reply, /\r\n\r\nbad request\n$/);
  });

  it('closes while a keep-alive client still holds a connection', async () => {
    const base = await start();
    const res = await fetch(`${base}/healthz`, { headers: { connection: 'keep-alive' } });
    await res.text();
    await endpoint!.close();
    endpoint = null;
    await assert.rejects(fetch(`${base}/healthz`));
  });

  it('refuses to start on a port that is taken', async () => {
    await start();
    await assert.rejects(startHttp({ host: '127.0.0.1', port: endpoint!.port }, current), /EADDRINUSE/);
  });
});
