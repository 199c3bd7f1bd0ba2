import assert from 'node:assert/strict';
import os from 'node:os';
import { assessHealth, collectStatus, formatHealth, probeDbHealth, STALE_CLAIM_MS } from '../../../src/admin/status';
import type { DbHealth } from '../../../src/store/db-health';
import { enqueueMail } from '../../../src/store/outbox';
import { FIXED_DATE, migratedMemoryDb } from '../../helpers/context';

const NOW = FIXED_DATE;
const OK: DbHealth = { ok: true, since: null, code: null, detail: null };

function db3() {
  const db = migratedMemoryDb();
  enqueueMail(
    db,
    {
      inboundId: null,
      purpose: 'relay',
      envelopeFrom: 'security-bounces@lists.example.org',
      messageId: null,
      raw: Buffer.from('x'),
      recipients: ['a@example.net', 'b@example.net', 'c@example.net'],
    },
    NOW.toISOString(),
  );
  return db;
}

describe('admin/status: health', () => {
  const assess = (db: ReturnType<typeof db3>, dbHealth = OK, source?: { lastContact: Date | null; freshMs: number }) =>
    assessHealth({ db, status: collectStatus(db, NOW, {}), now: NOW, dataDir: os.tmpdir(), dbHealth, source });

  it('is healthy with writes working, space, no old claim and the source heard from', () => {
    const h = assess(db3(), OK, { lastContact: new Date(NOW.getTime() - 1000), freshMs: 60_000 });
    assert.equal(h.healthy, true, JSON.stringify(h.problems));
    assert.deepEqual(h.problems, []);
    assert.equal(h.staleClaims, 0);
    assert.ok(h.freeBytes === null || h.freeBytes > 0);
    assert.equal(formatHealth(h), '  health       ok\n');
  });

  it('is unhealthy after a failed write, until one succeeds', () => {
    const h = assess(db3(), {
      ok: false,
      since: '2026-03-10T09:29:00.000Z',
      code: 'SQLITE_FULL',
      detail: 'database or disk is full (at fetch, 3 failures)',
    });
    assert.equal(h.healthy, false);
    assert.deepEqual(
      h.problems.map((p) => p.code),
      ['DB_TROUBLE'],
    );
    assert.match(h.problems[0]!.detail, /since 2026-03-10T09:29:00.000Z: SQLITE_FULL database or disk is full/);
    assert.match(formatHealth(h), /health {7}UNHEALTHY\n {15}DB_TROUBLE /);
  });

  it('is unhealthy when a copy has been claimed for longer than a few minutes, not before', () => {
    const db = db3();
    const claim = (at: Date, rcpt: string) =>
      db
        .prepare("UPDATE outbox SET status = 'sending', claimed_by = 'x', claimed_at = ? WHERE recipient = ?")
        .run(at.toISOString(), rcpt);
    claim(new Date(NOW.getTime() - 60_000), 'a@example.net');
    assert.equal(assess(db).healthy, true);
    claim(new Date(NOW.getTime() - STALE_CLAIM_MS - 1000), 'b@example.net');
    const h = assess(db);
    assert.equal(h.healthy, false);
    assert.equal(h.staleClaims, 1);
    assert.deepEqual(
      h.problems.map((p) => p.code),
      ['OUTBOX_CLAIMS_STALE'],
    );
  });

  it('is unhealthy when a copy has been pending for over an hour, or the source is silent', () => {
    const db = db3();
    db.prepare('UPDATE outbox SET created_at = ?').run(new Date(NOW.getTime() - 3_700_000).toISOString());
    assert.deepEqual(
      assess(db).problems.map((p) => p.code),
      ['OUTBOX_STUCK'],
    );
    assert.deepEqual(
      assess(db3(), OK, { lastContact: null, freshMs: 60_000 }).problems.map((p) => p.code),
      ['SOURCE_SILENT'],
    );
  });

  it('probeDbHealth: a test write now, red on a database that cannot be written', () => {
    const db = db3();
    assert.deepEqual(probeDbHealth(db, NOW), OK);
    db.exec('PRAGMA query_only = 1');
    const h = probeDbHealth(db, NOW);
    assert.equal(h.ok, false);
    assert.match(h.detail!, /a test write failed/);
  });
});
