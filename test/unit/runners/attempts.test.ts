/**
 * Issue 14, item 1: an attempt counts only when the one before it ended with its process dying. A
 * full disk or a read-only database, however long it lasts, never quarantines a message; a
 * message that really killed its process MAX_ATTEMPTS times is quarantined with its Message-ID
 * and sender, and the moderators get a notice with the message attached.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import Database from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import type { Context } from '../../../src/context';
import { ACTIONS, MAX_ATTEMPTS, processRaw } from '../../../src/runners/pipeline';
import { OWNER, ownerAlive } from '../../../src/runners/deliver';
import { dbHealth, resetDbHealthForTests, setDbHealthLog } from '../../../src/store/db-health';
import { findInbound, recordInbound, type InboundRow } from '../../../src/store/inbound';
import {
  addMembers,
  backboneConfig,
  createTestContext,
  FIXED_DATE,
  LIST_ADDRESS,
  MODERATORS,
  testConfig,
  trustedAuthConfig,
} from '../../helpers/context';
import { authenticatedMail } from '../../helpers/membership';
import { crlf } from '../../helpers/raw-mail';

const MEMBERS = ['alice@member.example', 'bob@member.example', 'carol@member.example'];
const NOTICE = 'moderator.notice.quarantined';

interface Copy {
  recipient: string;
  purpose: string;
  raw: Buffer;
}

function copies(ctx: Context): Copy[] {
  return ctx.db
    .prepare(
      'SELECT o.recipient, m.purpose, m.raw FROM outbox o JOIN outbox_message m ON m.id = o.message ORDER BY o.id',
    )
    .all() as Copy[];
}

const row = (ctx: Context, ref: string): InboundRow => findInbound(ctx.db, ref)!;

/** The pid of a process that ran and is gone: an owner with it is a process that died. */
function deadOwner(): string {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  assert.ok(pid);
  return `${os.hostname()}:${pid}:${Math.random().toString(16).slice(2, 10)}`;
}

/**
 * Attempts at `ref` by `times` processes that each died while handling it: each records the
 * message as its own, as processRaw does first, and the next one finds it dead.
 */
function crashed(ctx: Context, ref: string, raw: Buffer, times: number): void {
  for (let i = 0; i < times; i += 1)
    recordInbound(ctx.db, ref, raw, FIXED_DATE.toISOString(), { id: deadOwner(), alive: ownerAlive });
}

describe('runners/pipeline: attempts that mean a crash', () => {
  let ctx: Context;
  let woken: number;

  beforeEach(() => {
    woken = 0;
    ctx = createTestContext({
      config: backboneConfig(),
      outboxChanged: () => {
        woken += 1;
      },
    });
    addMembers(ctx, ...MEMBERS);
    resetDbHealthForTests();
    setDbHealthLog(pino({ level: 'silent' }));
  });

  afterEach(() => {
    resetDbHealthForTests();
    setDbHealthLog(null);
  });

  describe('a database that fails for a while', () => {
    it(`does not quarantine a post the same process retries ${MAX_ATTEMPTS + 3} times on a full disk, and relays it once there is room`, async () => {
      const raw = authenticatedMail({
        from: 'alice@member.example',
        to: LIST_ADDRESS,
        subject: 'CVE-2026-1111',
        messageId: '<full-disk@member.example>',
        body: 'A long disclosure.\n'.repeat(1200),
      });
      // The post is recorded; then the database may grow by a little more than the post itself:
      // counting an attempt still fits, queueing the post for the members does not (the
      // issue's full disk: the small write succeeds, the one that relays fails).
      recordInbound(ctx.db, 'maildir:1', raw, FIXED_DATE.toISOString());
      const pageSize = ctx.db.pragma('page_size', { simple: true }) as number;
      const pages = ctx.db.pragma('page_count', { simple: true }) as number;
      ctx.db.pragma(`max_page_count = ${pages + Math.ceil(raw.length / pageSize) + 2}`);

      for (let i = 0; i < MAX_ATTEMPTS + 3; i += 1)
        await assert.rejects(processRaw(ctx, 'maildir:1', raw), { code: 'SQLITE_FULL' });
      const during = row(ctx, 'maildir:1');
      // Every attempt was counted as started (so the small write did succeed), none as a crash.
      assert.deepEqual(
        [during.status, during.attempts, during.crashes, during.error_code],
        ['received', MAX_ATTEMPTS + 4, 0, null],
      );
      assert.equal(copies(ctx).length, 0);
      assert.equal(dbHealth().ok, false);
      assert.equal(dbHealth().code, 'SQLITE_FULL');

      ctx.db.pragma('max_page_count = 1073741823');
      const result = await processRaw(ctx, 'maildir:1', raw);
      assert.deepEqual([result.status, result.outcome], ['processed', 'relay']);
      const after = row(ctx, 'maildir:1');
      assert.deepEqual([after.status, after.crashes, after.attempt_owner], ['processed', 0, null]);
      assert.deepEqual(
        copies(ctx)
          .map((c) => c.recipient)
          .sort(),
        MEMBERS,
      );
      assert.equal(dbHealth().ok, true);
    });

    for (const code of ['SQLITE_READONLY', 'SQLITE_BUSY', 'SQLITE_IOERR_WRITE']) {
      it(`does not count ${MAX_ATTEMPTS + 2} attempts ended by ${code}, and handles the post when it clears`, async () => {
        const original = ACTIONS.relay;
        let failures = 0;
        ACTIONS.relay = (c, input) => {
          if (failures < MAX_ATTEMPTS + 2) {
            failures += 1;
            throw new Database.SqliteError('the database says no', code);
          }
          return original(c, input);
        };
        try {
          const raw = authenticatedMail({
            from: 'bob@member.example',
            to: LIST_ADDRESS,
            messageId: '<ro@member.example>',
          });
          for (let i = 0; i < MAX_ATTEMPTS + 2; i += 1)
            await assert.rejects(processRaw(ctx, 'imap:INBOX:1:7', raw), { code });
          assert.deepEqual([row(ctx, 'imap:INBOX:1:7').status, row(ctx, 'imap:INBOX:1:7').crashes], ['received', 0]);
          assert.equal((await processRaw(ctx, 'imap:INBOX:1:7', raw)).status, 'processed');
          assert.equal(copies(ctx).filter((c) => c.purpose === 'relay').length, MEMBERS.length);
          assert.equal(copies(ctx).filter((c) => c.purpose === NOTICE).length, 0);
        } finally {
          ACTIONS.relay = original;
        }
      });
    }

    it('clears the mark of an attempt a database error ended: a restart after it is not a crash', async () => {
      const original = ACTIONS.relay;
      ACTIONS.relay = () => {
        throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      };
      const raw = authenticatedMail({ from: 'carol@member.example', to: LIST_ADDRESS });
      try {
        await assert.rejects(processRaw(ctx, 'maildir:2', raw), { code: 'SQLITE_FULL' });
      } finally {
        ACTIONS.relay = original;
      }
      assert.equal(row(ctx, 'maildir:2').attempt_owner, null);
      // The next start of the daemon (another owner) finds no running attempt: nothing counts.
      const again = recordInbound(ctx.db, 'maildir:2', raw, FIXED_DATE.toISOString(), {
        id: 'restarted',
        alive: () => false,
      });
      assert.equal(again.crashes, 0);
    });
  });

  describe('attempts by processes that still run', () => {
    it('does not count an attempt this very process started and did not finish', async () => {
      const raw = authenticatedMail({ from: 'alice@member.example', to: LIST_ADDRESS });
      for (let i = 0; i < MAX_ATTEMPTS + 1; i += 1)
        recordInbound(ctx.db, 'maildir:3', raw, FIXED_DATE.toISOString(), { id: OWNER, alive: ownerAlive });
      assert.equal(row(ctx, 'maildir:3').crashes, 0);
      assert.equal((await processRaw(ctx, 'maildir:3', raw)).status, 'processed');
    });

    it('does not count an attempt of another process that is alive (two MTA deliveries at once)', () => {
      const raw = Buffer.from('From: a@b.example\r\n\r\nbody');
      const parent = `${os.hostname()}:${process.ppid}:another`;
      recordInbound(ctx.db, 'ingest:1', raw, FIXED_DATE.toISOString(), { id: parent, alive: ownerAlive });
      const mine = recordInbound(ctx.db, 'ingest:1', raw, FIXED_DATE.toISOString(), { id: OWNER, alive: ownerAlive });
      assert.deepEqual([mine.crashes, mine.attempts, mine.attempt_owner], [0, 2, OWNER]);
    });
  });

  describe(`a message that killed its process ${MAX_ATTEMPTS} times`, () => {
    const post = () =>
      authenticatedMail({
        from: 'Alice <alice@member.example>',
        to: LIST_ADDRESS,
        subject: 'The post that kills',
        messageId: '<killer@member.example>',
        body: 'Nothing special in here.\n',
      });

    it(`is still handled after ${MAX_ATTEMPTS - 1} crashes`, async () => {
      const raw = post();
      crashed(ctx, 'maildir:4', raw, MAX_ATTEMPTS - 1);
      assert.equal((await processRaw(ctx, 'maildir:4', raw)).status, 'processed');
      assert.equal(row(ctx, 'maildir:4').crashes, MAX_ATTEMPTS - 1);
    });

    it('is quarantined with MESSAGE_TOO_MANY_ATTEMPTS, its Message-ID, sender and subject, and the moderators get it attached', async () => {
      const raw = post();
      crashed(ctx, 'maildir:5', raw, MAX_ATTEMPTS);
      const result = await processRaw(ctx, 'maildir:5', raw);
      assert.deepEqual([result.status, result.outcome], ['quarantined', 'quarantine']);
      const r = row(ctx, 'maildir:5');
      assert.deepEqual(
        [r.status, r.error_code, r.crashes, r.message_id, r.sender, r.subject, r.attempt_owner],
        [
          'quarantined',
          'MESSAGE_TOO_MANY_ATTEMPTS',
          MAX_ATTEMPTS,
          '<killer@member.example>',
          'alice@member.example',
          'The post that kills',
          null,
        ],
      );
      assert.match(r.error_message!, new RegExp(`died ${MAX_ATTEMPTS} times`));

      const notices = copies(ctx);
      assert.deepEqual(notices.map((c) => [c.purpose, c.recipient]).sort(), MODERATORS.map((m) => [NOTICE, m]).sort());
      assert.equal(woken, 1);
      const mail = await simpleParser(notices[0]!.raw);
      assert.match(mail.subject!, /Quarantined: The post that kills \(MESSAGE_TOO_MANY_ATTEMPTS\)/);
      assert.match(mail.text!, /MESSAGE_TOO_MANY_ATTEMPTS/);
      assert.match(mail.text!, /alice@member\.example/);
      assert.match(mail.text!, /<killer@member\.example>/);
      assert.match(mail.text!, new RegExp(`stopped the daemon ${MAX_ATTEMPTS} times`));
      assert.match(mail.text!, new RegExp(`embargo-list inbound retry ${r.id}`));
      assert.match(mail.text!, /attached as it came in/);
      assert.equal(mail.attachments.length, 1);
      const attached = mail.attachments[0]!;
      assert.equal(attached.contentType, 'message/rfc822');
      assert.equal(attached.filename, `quarantined-${r.id}.eml`);
      assert.deepEqual(attached.content, raw);
      // Nothing of the post itself went to the members.
      assert.equal(notices.filter((c) => c.purpose !== NOTICE).length, 0);
    });

    it('attaches only the header of a message over policy.maxMessageBytes, and says so', async () => {
      ctx.config = testConfig(`${trustedAuthConfig()}\npolicy: { membersMayOpenThreads: true, maxMessageBytes: 4096 }`);
      const raw = authenticatedMail({
        from: 'alice@member.example',
        to: LIST_ADDRESS,
        subject: 'Large',
        messageId: '<large@member.example>',
        body: 'x'.repeat(70).concat('\n').repeat(200),
      });
      assert.ok(raw.length > 4096);
      crashed(ctx, 'maildir:6', raw, MAX_ATTEMPTS);
      assert.equal((await processRaw(ctx, 'maildir:6', raw)).status, 'quarantined');
      const [notice] = copies(ctx);
      const mail = await simpleParser(notice!.raw);
      assert.match(
        mail.text!.replace(/\s+/g, ' '),
        new RegExp(`\\(${raw.length} bytes\\) is larger than the 4096 bytes`),
      );
      assert.match(mail.text!, /only its header is attached/);
      assert.equal(mail.attachments.length, 1);
      assert.equal(mail.attachments[0]!.contentType, 'text/rfc822-headers');
      const header = mail.attachments[0]!.content.toString('latin1');
      assert.match(header, /^Message-ID: <large@member\.example>/m);
      assert.doesNotMatch(header, /xxxxxxxxxx/);
    });
  });

  it('keeps the Message-ID and subject of a message quarantined because it cannot be parsed, read from its header', async () => {
    const raw = crlf(`To: ${LIST_ADDRESS}`, 'Subject: anonymous', 'Message-ID: <anon@x.example>', '', 'body');
    assert.equal((await processRaw(ctx, 'maildir:7', raw)).status, 'quarantined');
    const r = row(ctx, 'maildir:7');
    assert.deepEqual(
      [r.error_code, r.message_id, r.subject, r.sender],
      ['MESSAGE_NO_FROM', '<anon@x.example>', 'anonymous', null],
    );
    const notices = copies(ctx);
    assert.equal(notices.length, MODERATORS.length);
    const mail = await simpleParser(notices[0]!.raw);
    assert.match(mail.text!, /From: +\(unknown sender\)/);
    assert.deepEqual(mail.attachments[0]!.content, raw);
  });
});
