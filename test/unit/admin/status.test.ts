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

function addRequest(db: Db, state: string): void {
  db.prepare(
    `INSERT INTO requests (state, applicant, answers, missing, accepts_embargo, findings, created_at, updated_at)
              VALUES (?, 'applicant@example.net', '{}', '[]', 1, '[]', ?, ?)`,
  ).run(state, NOW.toISOString(), NOW.toISOString());
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
  requests: { open: 0 },
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
      requests: { open: 2 },
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
