import assert from 'node:assert/strict';
import { collectStatus, formatStatus, type Status } from '../../../src/admin/status';
import type { Db } from '../../../src/store/db';
import { removeMember, upsertMember } from '../../../src/store/members';
import { enqueueMail } from '../../../src/store/outbox';
import { FIXED_DATE, migratedMemoryDb } from '../../helpers/context';

const NOW = FIXED_DATE; // 2026-03-10T09:30:00.000Z

function addInbound(db: Db, ref: string, status: string): void {
  db.prepare('INSERT INTO inbound (source_ref, received_at, sha256, size, raw, status) VALUES (?, ?, ?, ?, ?, ?)').run(
    ref,
    NOW.toISOString(),
    'x'.repeat(64),
    1,
    Buffer.from('x'),
    status,
  );
}

function addRequest(db: Db, state: string, createdAt: string = NOW.toISOString()): void {
  db.prepare(
    `INSERT INTO requests (state, applicant, answers, missing, accepts_embargo, findings, created_at, updated_at)
              VALUES (?, 'applicant@example.net', '{}', '[]', 1, '[]', ?, ?)`,
  ).run(state, createdAt, createdAt);
}

function addDisclosure(db: Db, state: string, embargoEnd: string | null): number {
  return Number(
    db
      .prepare(
        "INSERT INTO disclosures (subject, opened_by, opened_at, embargo_end, state) VALUES ('s', 'alice@vendor.example', ?, ?, ?)",
      )
      .run(NOW.toISOString(), embargoEnd, state).lastInsertRowid,
  );
}

function addLeak(db: Db, disclosure: number, closedAt: string | null): void {
  db.prepare(
    `INSERT INTO leaks (disclosure_id, reporter, reporter_organization, text, reported_at, retro_due, retro_closed_at)
              VALUES (?, 'bob@member.example', 'Member Org', 'leaked', ?, ?, ?)`,
  ).run(disclosure, NOW.toISOString(), NOW.toISOString(), closedAt);
}

const EMPTY: Omit<Status, 'at' | 'lastImapContact'> = {
  inbound: { received: 0, processed: 0, quarantined: 0 },
  outbox: { pending: 0, sending: 0, sent: 0, failed: 0, oldestPendingAt: null },
  requests: { open: 0, waiting: 0, pastReminder: 0, pastEscalation: 0, oldestWaitingSince: null },
  disclosures: { embargoed: 0, nextEmbargoEnd: null },
  leaks: { openRetrospectives: 0 },
  members: { active: 0, unreachable: 0 },
  held: { waiting: 0 },
};

describe('admin/status', () => {
  describe('collectStatus', () => {
    it('reports zeros and nulls for a new database', () => {
      const s = collectStatus(migratedMemoryDb(), NOW, {});
      assert.deepEqual(s, { ...EMPTY, at: NOW.toISOString(), lastImapContact: null });
    });

    it('counts inbound messages by state', () => {
      const db = migratedMemoryDb();
      addInbound(db, 'a', 'received');
      addInbound(db, 'b', 'processed');
      addInbound(db, 'c', 'processed');
      addInbound(db, 'd', 'quarantined');
      assert.deepEqual(collectStatus(db, NOW, {}).inbound, { received: 1, processed: 2, quarantined: 1 });
    });

    it('counts outbox copies by state and gives the creation time of the oldest pending one', () => {
      const db = migratedMemoryDb();
      const mail = {
        inboundId: null,
        purpose: 'relay',
        envelopeFrom: 'security-bounces@lists.example.org',
        messageId: null,
        raw: Buffer.from('x'),
      };
      enqueueMail(
        db,
        { ...mail, recipients: ['a@example.net', 'b@example.net', 'c@example.net'] },
        '2026-03-10T08:00:00.000Z',
      );
      enqueueMail(db, { ...mail, recipients: ['d@example.net', 'e@example.net'] }, '2026-03-10T09:00:00.000Z');
      db.prepare("UPDATE outbox SET status = 'sent' WHERE recipient = 'a@example.net'").run();
      db.prepare("UPDATE outbox SET status = 'failed' WHERE recipient = 'b@example.net'").run();
      db.prepare("UPDATE outbox SET status = 'sending' WHERE recipient = 'c@example.net'").run();
      assert.deepEqual(collectStatus(db, NOW, {}).outbox, {
        pending: 2,
        sending: 1,
        sent: 1,
        failed: 1,
        oldestPendingAt: '2026-03-10T09:00:00.000Z',
      });
    });

    it('counts as open only the requests that still wait for somebody', () => {
      const db = migratedMemoryDb();
      for (const state of ['moderation', 'asked', 'confirming', 'subscribed', 'rejected', 'lapsed', 'superseded'])
        addRequest(db, state);
      assert.equal(collectStatus(db, NOW, {}).requests.open, 3);
    });

    it('counts requests waiting for a decision past each timer, and when the oldest came in', () => {
      const db = migratedMemoryDb();
      const daysAgo = (d: number): string => new Date(NOW.getTime() - d * 86_400_000).toISOString();
      addRequest(db, 'moderation', daysAgo(1));
      addRequest(db, 'moderation', daysAgo(4));
      addRequest(db, 'moderation', daysAgo(8));
      addRequest(db, 'asked', daysAgo(9)); // the applicant has a question: not waiting for the moderators
      addRequest(db, 'rejected', daysAgo(20)); // decided: never counted
      const timers = { reminderDays: 3, escalationDays: 7 };
      assert.deepEqual(collectStatus(db, NOW, { requestTimers: timers }).requests, {
        open: 4,
        waiting: 3,
        pastReminder: 2,
        pastEscalation: 1,
        oldestWaitingSince: daysAgo(8),
      });
      const later = collectStatus(db, NOW, { requestTimers: { reminderDays: 5, escalationDays: 10 } }).requests;
      assert.deepEqual([later.pastReminder, later.pastEscalation], [1, 0]);
    });

    it('counts running embargoes and gives the earliest end of one, not of a lifted one', () => {
      const db = migratedMemoryDb();
      addDisclosure(db, 'embargoed', '2026-03-20T16:00:00.000Z');
      addDisclosure(db, 'embargoed', '2026-03-12T16:00:00.000Z');
      addDisclosure(db, 'embargoed', null);
      addDisclosure(db, 'public', '2026-03-01T16:00:00.000Z');
      assert.deepEqual(collectStatus(db, NOW, {}).disclosures, {
        embargoed: 3,
        nextEmbargoEnd: '2026-03-12T16:00:00.000Z',
      });
    });

    it('counts the leak retrospectives not yet closed', () => {
      const db = migratedMemoryDb();
      const d = addDisclosure(db, 'public', null);
      addLeak(db, d, null);
      addLeak(db, d, null);
      addLeak(db, d, '2026-03-09T10:00:00.000Z');
      assert.equal(collectStatus(db, NOW, {}).leaks.openRetrospectives, 2);
    });

    it('counts active members only', () => {
      const db = migratedMemoryDb();
      for (const a of ['a@example.net', 'b@example.net', 'c@example.net'])
        upsertMember(db, a, 'Org', NOW.toISOString());
      removeMember(db, 'b@example.net', NOW.toISOString());
      assert.equal(collectStatus(db, NOW, {}).members.active, 2);
    });

    it('passes the last IMAP contact through', () => {
      const s = collectStatus(migratedMemoryDb(), NOW, { lastImapContact: '2026-03-10T09:29:30.000Z' });
      assert.equal(s.lastImapContact, '2026-03-10T09:29:30.000Z');
      assert.equal(collectStatus(migratedMemoryDb(), NOW, { lastImapContact: null }).lastImapContact, null);
    });
  });

  describe('formatStatus', () => {
    const full: Status = {
      at: '2026-03-10T09:30:00.000Z',
      inbound: { received: 1, processed: 20, quarantined: 2 },
      outbox: { pending: 3, sending: 1, sent: 40, failed: 1, oldestPendingAt: '2026-03-10T09:00:00.000Z' },
      requests: {
        open: 2,
        waiting: 2,
        pastReminder: 1,
        pastEscalation: 0,
        oldestWaitingSince: '2026-03-06T09:30:00.000Z',
      },
      disclosures: { embargoed: 1, nextEmbargoEnd: '2026-03-12T16:00:00.000Z' },
      leaks: { openRetrospectives: 1 },
      members: { active: 12, unreachable: 1 },
      held: { waiting: 2 },
      lastImapContact: '2026-03-10T09:29:30.000Z',
    };

    it('writes one labelled line per subject, with ages relative to the time of collection', () => {
      assert.equal(
        formatStatus(full),
        [
          'embargo-list status at 2026-03-10T09:30:00.000Z',
          '  inbound      1 received, 20 processed, 2 quarantined',
          '  outbox       3 pending, 1 sending, 40 sent, 1 failed',
          '               oldest pending since 2026-03-10T09:00:00.000Z (30 min ago)',
          '  requests     2 open',
          '               2 waiting for a decision, oldest since 2026-03-06T09:30:00.000Z (4 d ago); 1 past the reminder, 0 past the escalation',
          '  disclosures  1 under embargo, next end 2026-03-12T16:00:00.000Z (in 2 d)',
          '  leaks        1 open retrospective',
          '  held         2 waiting for a moderator',
          '  members      12 active, 1 unreachable (bouncing)',
          '  imap         last contact 2026-03-10T09:29:30.000Z (30 s ago)',
          '',
        ].join('\n'),
      );
    });

    it('leaves out what is not there and says when no IMAP contact is recorded', () => {
      const text = formatStatus({ ...EMPTY, at: '2026-03-10T09:30:00.000Z', lastImapContact: null });
      assert.doesNotMatch(text, /oldest pending|next end/);
      assert.match(text, /leaks {8}0 open retrospectives\n/);
      assert.match(text, /imap {9}no contact recorded\n/);
    });

    it('calls an embargo end that has passed an overdue lift', () => {
      const text = formatStatus({ ...full, disclosures: { embargoed: 1, nextEmbargoEnd: '2026-03-10T07:00:00.000Z' } });
      assert.match(text, /next end 2026-03-10T07:00:00\.000Z \(passed 2 h ago: lift overdue\)/);
    });

    it('formats what collectStatus collects', () => {
      const db = migratedMemoryDb();
      upsertMember(db, 'a@example.net', 'Org', NOW.toISOString());
      assert.match(formatStatus(collectStatus(db, NOW, {})), /members {6}1 active/);
    });
  });
});
