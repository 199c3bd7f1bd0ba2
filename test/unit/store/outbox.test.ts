import assert from 'node:assert/strict';
import {
  claimDue,
  enqueueMail,
  markFailed,
  markRetry,
  markSent,
  nextDueAt,
  outboxCounts,
  releaseClaims,
  releaseOrphans,
  type OutboundMail,
} from '../../../src/store/outbox';
import type { Db } from '../../../src/store/db';
import { migratedMemoryDb } from '../../helpers/context';

const T0 = '2026-03-10T09:00:00.000Z';
const T1 = '2026-03-10T09:05:00.000Z';

function mail(recipients: string[], extra: Partial<OutboundMail> = {}): OutboundMail {
  return {
    inboundId: null,
    purpose: 'relay',
    envelopeFrom: 'security-bounces@lists.example.org',
    messageId: '<m@x>',
    raw: Buffer.from('raw'),
    recipients,
    ...extra,
  };
}

interface Row {
  id: number;
  recipient: string;
  status: string;
  attempts: number;
  claimed_by: string | null;
  next_attempt_at: string;
  last_code: number | null;
  last_error: string | null;
  finished_at: string | null;
}
const rows = (db: Db): Row[] => db.prepare('SELECT * FROM outbox ORDER BY id').all() as Row[];

describe('store/outbox', () => {
  let db: Db;
  beforeEach(() => {
    db = migratedMemoryDb();
  });

  describe('enqueueMail', () => {
    it('stores the bytes once and one pending copy per recipient, due at once', () => {
      const n = enqueueMail(db, mail(['a@member.example', 'b@member.example']), T0);
      assert.equal(n, 2);
      assert.equal(db.prepare('SELECT count(*) FROM outbox_message').pluck().get(), 1);
      assert.deepEqual(
        rows(db).map((r) => [r.recipient, r.status, r.attempts, r.next_attempt_at]),
        [
          ['a@member.example', 'pending', 0, T0],
          ['b@member.example', 'pending', 0, T0],
        ],
      );
    });

    it('removes duplicate recipients, also in odd case, and counts each once', () => {
      const n = enqueueMail(
        db,
        mail(['a@member.example', 'A@Member.EXAMPLE', 'b@member.example', 'a@member.example']),
        T0,
      );
      assert.equal(n, 2);
      assert.deepEqual(
        rows(db).map((r) => r.recipient),
        ['a@member.example', 'b@member.example'],
      );
    });

    it('stores a mail with no recipients and queues no copy', () => {
      assert.equal(enqueueMail(db, mail([]), T0), 0);
      assert.equal(rows(db).length, 0);
    });

    it('refuses a mail that names an inbound message that does not exist', () => {
      assert.throws(() => enqueueMail(db, mail(['a@member.example'], { inboundId: 999 }), T0), /FOREIGN KEY/);
    });
  });

  describe('claimDue', () => {
    it('claims the copies that are due, marks them sending and counts the attempt', () => {
      enqueueMail(db, mail(['a@member.example', 'b@member.example']), T0);
      const claimed = claimDue(db, 'host:1', T1, 10);
      assert.deepEqual(
        claimed.map((c) => [c.recipient, c.attempts, c.envelope_from, c.purpose, c.mail_message_id, c.raw.toString()]),
        [
          ['a@member.example', 1, 'security-bounces@lists.example.org', 'relay', '<m@x>', 'raw'],
          ['b@member.example', 1, 'security-bounces@lists.example.org', 'relay', '<m@x>', 'raw'],
        ],
      );
      assert.deepEqual(
        rows(db).map((r) => [r.status, r.claimed_by, r.attempts]),
        [
          ['sending', 'host:1', 1],
          ['sending', 'host:1', 1],
        ],
      );
    });

    it('holds the bytes of one mail once, shared by its copies, and each mail its own', () => {
      enqueueMail(db, mail(['a@member.example', 'b@member.example'], { raw: Buffer.from('first') }), T0);
      enqueueMail(db, mail(['a@member.example', 'c@member.example'], { raw: Buffer.from('second') }), T0);
      const [a1, b1, a2, c2] = claimDue(db, 'host:1', T1, 10);
      assert.equal(a1!.raw, b1!.raw);
      assert.equal(a2!.raw, c2!.raw);
      assert.notEqual(a1!.raw, a2!.raw);
      assert.deepEqual(
        [a1, b1, a2, c2].map((c) => [c!.recipient, c!.raw.toString()]),
        [
          ['a@member.example', 'first'],
          ['b@member.example', 'first'],
          ['a@member.example', 'second'],
          ['c@member.example', 'second'],
        ],
      );
    });

    it('claims a copy once: a second claim, by anyone, gets nothing', () => {
      enqueueMail(db, mail(['a@member.example']), T0);
      assert.equal(claimDue(db, 'host:1', T1, 10).length, 1);
      assert.equal(claimDue(db, 'host:1', T1, 10).length, 0);
      assert.equal(claimDue(db, 'host:2', T1, 10).length, 0);
    });

    it('does not claim a copy before it is due', () => {
      enqueueMail(db, mail(['a@member.example']), T1);
      assert.equal(claimDue(db, 'host:1', T0, 10).length, 0);
      assert.equal(claimDue(db, 'host:1', T1, 10).length, 1);
    });

    it('claims no more than the limit, the longest-waiting first', () => {
      enqueueMail(db, mail(['late@member.example']), T1);
      enqueueMail(db, mail(['early@member.example']), T0);
      enqueueMail(db, mail(['third@member.example']), T1);
      const claimed = claimDue(db, 'host:1', T1, 2);
      assert.deepEqual(
        claimed.map((c) => c.recipient),
        ['early@member.example', 'late@member.example'],
      );
    });

    it('does not claim copies that are sent or failed', () => {
      enqueueMail(db, mail(['a@member.example', 'b@member.example']), T0);
      const [a, b] = claimDue(db, 'host:1', T0, 10);
      markSent(db, a!.id, 250, T0);
      markFailed(db, b!.id, 550, 'no such user', T0);
      assert.equal(claimDue(db, 'host:1', T1, 10).length, 0);
    });
  });

  describe('markSent, markRetry, markFailed', () => {
    it('records a sent copy with its code and releases the claim', () => {
      enqueueMail(db, mail(['a@member.example']), T0);
      const [c] = claimDue(db, 'host:1', T0, 1);
      markSent(db, c!.id, 250, T1);
      assert.deepEqual(
        rows(db).map((r) => [r.status, r.last_code, r.finished_at, r.claimed_by]),
        [['sent', 250, T1, null]],
      );
    });

    it('puts a retried copy back as pending at its next time, keeping the error', () => {
      enqueueMail(db, mail(['a@member.example']), T0);
      const [c] = claimDue(db, 'host:1', T0, 1);
      markRetry(db, c!.id, 451, 'try later', T1);
      assert.deepEqual(
        rows(db).map((r) => [r.status, r.last_code, r.last_error, r.next_attempt_at, r.claimed_by]),
        [['pending', 451, 'try later', T1, null]],
      );
      assert.equal(nextDueAt(db), T1);
      assert.equal(claimDue(db, 'host:1', T1, 1)[0]!.attempts, 2);
    });

    it('records a failed copy with its code and error', () => {
      enqueueMail(db, mail(['a@member.example']), T0);
      const [c] = claimDue(db, 'host:1', T0, 1);
      markFailed(db, c!.id, 550, 'user unknown', T1);
      assert.deepEqual(outboxCounts(db), { failed: 1 });
      assert.deepEqual(
        rows(db).map((r) => [r.last_code, r.last_error, r.finished_at]),
        [[550, 'user unknown', T1]],
      );
    });
  });

  describe('releaseOrphans', () => {
    it('puts back the copies of an owner that no longer runs, and keeps those of a live owner', () => {
      enqueueMail(db, mail(['dead@member.example']), T0);
      claimDue(db, 'host:dead', T0, 10);
      enqueueMail(db, mail(['live@member.example']), T0);
      claimDue(db, 'host:live', T0, 10);
      const released = releaseOrphans(db, (owner) => owner === 'host:live');
      assert.equal(released, 1);
      assert.deepEqual(
        rows(db).map((r) => [r.recipient, r.status, r.claimed_by]),
        [
          ['dead@member.example', 'pending', null],
          ['live@member.example', 'sending', 'host:live'],
        ],
      );
    });

    it('puts back a copy stuck in sending without an owner', () => {
      enqueueMail(db, mail(['a@member.example']), T0);
      db.prepare("UPDATE outbox SET status = 'sending', claimed_by = NULL").run();
      assert.equal(
        releaseOrphans(db, () => true),
        1,
      );
      assert.deepEqual(outboxCounts(db), { pending: 1 });
    });

    it('releases nothing when nothing is in flight', () => {
      enqueueMail(db, mail(['a@member.example']), T0);
      assert.equal(
        releaseOrphans(db, () => false),
        0,
      );
      assert.deepEqual(outboxCounts(db), { pending: 1 });
    });

    it('does not touch sent or failed copies', () => {
      enqueueMail(db, mail(['a@member.example', 'b@member.example']), T0);
      const [a, b] = claimDue(db, 'host:dead', T0, 10);
      markSent(db, a!.id, 250, T0);
      markFailed(db, b!.id, 550, 'no', T0);
      assert.equal(
        releaseOrphans(db, () => false),
        0,
      );
      assert.deepEqual(outboxCounts(db), { sent: 1, failed: 1 });
    });
  });

  describe('releaseClaims', () => {
    it('gives back the copies this owner claimed and did not start, as if never claimed', () => {
      enqueueMail(db, mail(['a@member.example', 'b@member.example']), T0);
      const [a, b] = claimDue(db, 'host:1', T1, 10);
      assert.equal(releaseClaims(db, 'host:1', [a!.id, b!.id]), 2);
      assert.deepEqual(
        rows(db).map((r) => [r.status, r.claimed_by, r.attempts]),
        [
          ['pending', null, 0],
          ['pending', null, 0],
        ],
      );
      assert.equal(claimDue(db, 'host:2', T1, 10).length, 2);
    });

    it('does not touch a copy claimed by another owner, nor one already sent', () => {
      enqueueMail(db, mail(['a@member.example', 'b@member.example']), T0);
      const [a] = claimDue(db, 'host:1', T1, 1);
      const [b] = claimDue(db, 'host:2', T1, 1);
      markSent(db, a!.id, 250, T1);
      assert.equal(releaseClaims(db, 'host:1', [a!.id, b!.id]), 0);
      assert.deepEqual(
        rows(db).map((r) => [r.status, r.claimed_by, r.attempts]),
        [
          ['sent', null, 1],
          ['sending', 'host:2', 1],
        ],
      );
    });
  });
});
