/**
 * Issue 14, item 4: an outcome word (RELAYED, HELD, ...) is written to the log after its
 * transaction commits, and never for work that was rolled back. The log is captured as pino
 * writes it; each line records whether the database was inside a transaction at that moment.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Context } from '../../../src/context';
import { ACTIONS, processRaw } from '../../../src/runners/pipeline';
import { resetDbHealthForTests, setDbHealthLog } from '../../../src/store/db-health';
import { findInbound } from '../../../src/store/inbound';
import { addMembers, backboneConfig, createTestContext, LIST_ADDRESS } from '../../helpers/context';
import { authenticatedMail } from '../../helpers/membership';

const MEMBERS = ['alice@member.example', 'bob@member.example'];
const OUTCOME = /^(RELAYED|HELD|DROPPED|REQUEST|REFUSED|THREAD|OPENED|SUBSCRIBED|QUARANTINED)\b/;

interface Line {
  msg: string;
  level: number;
  /** Whether the line was written while a transaction was open on the database. */
  inTransaction: boolean;
}

describe('runners/pipeline: outcome words are logged after the commit', () => {
  let ctx: Context;
  let lines: Line[];
  const original = ACTIONS.relay;

  beforeEach(() => {
    lines = [];
    ctx = createTestContext({ config: backboneConfig() });
    ctx.log = pino(
      { level: 'debug' },
      {
        write: (s: string) => {
          const parsed = JSON.parse(s) as { msg: string; level: number };
          lines.push({ msg: parsed.msg, level: parsed.level, inTransaction: ctx.db.inTransaction });
        },
      },
    );
    addMembers(ctx, ...MEMBERS);
    resetDbHealthForTests();
    setDbHealthLog(pino({ level: 'silent' }));
  });

  afterEach(() => {
    ACTIONS.relay = original;
    resetDbHealthForTests();
    setDbHealthLog(null);
  });

  const outcomes = () => lines.filter((l) => OUTCOME.test(l.msg));

  it('logs RELAYED once, when nothing is open any more, and the post is in the database by then', async () => {
    const raw = authenticatedMail({ from: 'alice@member.example', to: LIST_ADDRESS, messageId: '<ok@member.example>' });
    await processRaw(ctx, 'maildir:1', raw);
    assert.deepEqual(
      outcomes().map((l) => [l.msg.split(' ')[0], l.inTransaction]),
      [['RELAYED', false]],
    );
    assert.equal(findInbound(ctx.db, 'maildir:1')!.status, 'processed');
  });

  it('logs HELD after the commit too', async () => {
    const raw = authenticatedMail({ from: 'stranger@elsewhere.example', to: LIST_ADDRESS });
    await processRaw(ctx, 'maildir:2', raw);
    assert.deepEqual(
      outcomes().map((l) => [l.msg.split(' ')[0], l.inTransaction]),
      [['HELD', false]],
    );
  });

  it('logs no RELAYED for a handling whose commit fails, only the QUARANTINED that was kept', async () => {
    // The relay succeeds and act() logs its word, but the commit then fails: a foreign key the
    // action broke is checked only at COMMIT (deferred), as a full disk fails only at COMMIT.
    const breaksAtCommit: typeof original = (c, input) => {
      c.db.pragma('defer_foreign_keys = ON');
      c.db
        .prepare("INSERT INTO outbox (message, recipient, next_attempt_at, created_at) VALUES (999999, 'x@y', '', '')")
        .run();
      return original(c, input);
    };
    ACTIONS.relay = breaksAtCommit;
    const raw = authenticatedMail({ from: 'alice@member.example', to: LIST_ADDRESS, messageId: '<rb@member.example>' });
    const result = await processRaw(ctx, 'maildir:3', raw);

    assert.equal(result.status, 'quarantined');
    assert.equal(ctx.db.prepare("SELECT count(*) FROM outbox_message WHERE purpose = 'relay'").pluck().get(), 0);
    assert.deepEqual(
      outcomes().map((l) => [l.msg.split(' ')[0], l.inTransaction]),
      [['QUARANTINED', false]],
    );
  });

  it('logs no outcome word at all for a handling rolled back by a database error (the message stays to be tried again)', async () => {
    ACTIONS.relay = (c, input) => {
      const result = original(c, input);
      c.log.child({ stage: 'act' }).info('THREAD_MAIL said inside the transaction');
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return result;
    };
    const raw = authenticatedMail({
      from: 'alice@member.example',
      to: LIST_ADDRESS,
      messageId: '<full@member.example>',
    });
    await assert.rejects(processRaw(ctx, 'maildir:4', raw), { code: 'SQLITE_FULL' });
    assert.deepEqual(outcomes(), []);
    assert.equal(
      lines.some((l) => /THREAD_MAIL/.test(l.msg)),
      false,
    );
    assert.equal(findInbound(ctx.db, 'maildir:4')!.status, 'received');

    // Once the database takes writes again the same message is relayed, and said once.
    ACTIONS.relay = original;
    await processRaw(ctx, 'maildir:4', raw);
    assert.deepEqual(
      outcomes().map((l) => [l.msg.split(' ')[0], l.inTransaction]),
      [['RELAYED', false]],
    );
  });
});
