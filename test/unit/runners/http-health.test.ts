import assert from 'node:assert/strict';
import type { Status } from '../../../src/admin/status';
import { metrics, startHttp, type HttpEndpoint } from '../../../src/runners/http';

const STATUS: Status = {
  at: '2026-03-10T09:30:00.000Z',
  inbound: { received: 0, processed: 1, quarantined: 0 },
  outbox: { pending: 0, sending: 1, sent: 4, failed: 0, oldestPendingAt: null },
  requests: { open: 0, waiting: 0, pastReminder: 0, pastEscalation: 0, oldestWaitingSince: null },
  disclosures: { embargoed: 0, nextEmbargoEnd: null },
  leaks: { openRetrospectives: 0 },
  members: { active: 4, unreachable: 0 },
  held: { waiting: 0 },
  lastImapContact: null,
};

describe('runners/http: the reasons of an unhealthy daemon', () => {
  let endpoint: HttpEndpoint | null = null;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = null;
  });

  it('writes each problem under "unhealthy" on /healthz, one line each', async () => {
    endpoint = await startHttp({ host: '127.0.0.1', port: 0 }, () => ({
      ...STATUS,
      healthy: false,
      problems: [
        { code: 'DB_TROUBLE', detail: 'database writes fail since 2026-03-10T09:29:00.000Z: SQLITE_FULL' },
        { code: 'DISK_LOW', detail: '0 bytes free on the file system of /data, under the 8 MiB the daemon needs' },
      ],
    }));
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/healthz`);
    assert.equal(res.status, 503);
    assert.equal(
      await res.text(),
      'unhealthy\nDB_TROUBLE database writes fail since 2026-03-10T09:29:00.000Z: SQLITE_FULL\nDISK_LOW 0 bytes free on the file system of /data, under the 8 MiB the daemon needs\n',
    );
  });

  it('gives the database, free space and stale claims as gauges when known', () => {
    const text = metrics({ ...STATUS, healthy: false, dbOk: false, freeBytes: 4096, staleClaims: 2 });
    assert.match(text, /^embargo_list_database_writable 0$/m);
    assert.match(text, /^embargo_list_data_free_bytes 4096$/m);
    assert.match(text, /^embargo_list_outbox_stale_claims 2$/m);
    const bare = metrics({ ...STATUS, healthy: true });
    assert.doesNotMatch(bare, /^embargo_list_database_writable /m);
  });
});
