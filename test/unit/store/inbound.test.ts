import assert from 'node:assert/strict';
import type { Db } from '../../../src/store/db';
import {
  countByStatus,
  finishInbound,
  findInbound,
  getInbound,
  recordInbound,
  sha256,
  wasRelayed,
} from '../../../src/store/inbound';
import { migratedMemoryDb } from '../../helpers/context';

const T0 = '2026-03-10T09:00:00.000Z';
const T1 = '2026-03-10T09:01:00.000Z';

describe('store/inbound', () => {
  let db: Db;
  beforeEach(() => {
    db = migratedMemoryDb();
  });

  it('records the raw bytes of a new copy as received, first attempt', () => {
    const raw = Buffer.from('From: a@b.example\r\n\r\nbody');
    const row = recordInbound(db, 'maildir:1', raw, T0);
    assert.equal(row.status, 'received');
    assert.equal(row.attempts, 1);
    assert.deepEqual(row.raw, raw);
    assert.equal(row.size, raw.length);
    assert.equal(row.sha256, sha256(raw));
    assert.equal(row.received_at, T0);
    assert.deepEqual(getInbound(db, row.id), row);
  });

  it('counts another attempt when the same copy is recorded again before it is finished', () => {
    recordInbound(db, 'maildir:1', Buffer.from('x'), T0);
    const again = recordInbound(db, 'maildir:1', Buffer.from('x'), T1);
    assert.equal(again.attempts, 2);
    assert.equal(again.received_at, T0);
  });

  it('does not count an attempt for a copy already finished, and keeps its status', () => {
    const row = recordInbound(db, 'maildir:1', Buffer.from('x'), T0);
    finishInbound(db, row.id, { status: 'processed', outcome: 'relay', hits: [] }, T1);
    const again = recordInbound(db, 'maildir:1', Buffer.from('x'), T1);
    assert.equal(again.status, 'processed');
    assert.equal(again.attempts, 1);
  });

  it('keeps the first bytes recorded under a source, even if other bytes arrive under it', () => {
    recordInbound(db, 'maildir:1', Buffer.from('first'), T0);
    assert.equal(recordInbound(db, 'maildir:1', Buffer.from('second'), T1).raw.toString(), 'first');
  });

  it('finishes a row with its outcome, hits and what was parsed', () => {
    const row = recordInbound(db, 'maildir:1', Buffer.from('x'), T0);
    finishInbound(
      db,
      row.id,
      {
        status: 'processed',
        outcome: 'hold',
        hits: [{ rule: 'to-list', reason: 'r' }],
        messageId: '<m@x>',
        sender: 'a@b.example',
        subject: 's',
      },
      T1,
    );
    const done = findInbound(db, 'maildir:1')!;
    assert.deepEqual(
      [done.status, done.outcome, done.message_id, done.sender, done.subject, done.processed_at],
      ['processed', 'hold', '<m@x>', 'a@b.example', 's', T1],
    );
    assert.deepEqual(JSON.parse(done.hits!), [{ rule: 'to-list', reason: 'r' }]);
  });

  it('refuses a status outside the closed list', () => {
    const row = recordInbound(db, 'maildir:1', Buffer.from('x'), T0);
    assert.throws(() => db.prepare("UPDATE inbound SET status = 'lost' WHERE id = ?").run(row.id), /CHECK constraint/);
  });

  it('says a Message-ID was relayed only for another row that was relayed', () => {
    const a = recordInbound(db, 'maildir:a', Buffer.from('a'), T0);
    const b = recordInbound(db, 'maildir:b', Buffer.from('b'), T0);
    const c = recordInbound(db, 'maildir:c', Buffer.from('c'), T0);
    finishInbound(db, a.id, { status: 'processed', outcome: 'relay', hits: [], messageId: '<m@x>' }, T1);
    finishInbound(db, b.id, { status: 'processed', outcome: 'hold', hits: [], messageId: '<held@x>' }, T1);
    assert.equal(wasRelayed(db, '<m@x>', c.id), true);
    assert.equal(wasRelayed(db, '<m@x>', a.id), false);
    assert.equal(wasRelayed(db, '<held@x>', c.id), false);
    assert.equal(wasRelayed(db, '<M@X>', c.id), false);
  });

  it('counts rows by status', () => {
    const a = recordInbound(db, 'maildir:a', Buffer.from('a'), T0);
    recordInbound(db, 'maildir:b', Buffer.from('b'), T0);
    finishInbound(
      db,
      a.id,
      { status: 'quarantined', outcome: 'quarantine', hits: [], errorCode: 'MESSAGE_NO_FROM' },
      T1,
    );
    assert.deepEqual(countByStatus(db), { quarantined: 1, received: 1 });
  });
});
