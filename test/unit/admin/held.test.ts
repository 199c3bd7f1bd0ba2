import assert from 'node:assert/strict';
import { runInProcess } from '../../helpers/cli-in-process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerHeld } from '../../../src/admin/held';
import type { Context } from '../../../src/context';
import { loadMigrations, migrate, openDb } from '../../../src/store/db';
import type { HeldRow } from '../../../src/store/held';
import { MIGRATIONS_DIR } from '../../helpers/context';
import { Disclosures, listMail, MEMBERS } from '../../helpers/disclosures';
import { APPLICANT, reply } from '../../helpers/membership';

const STRANGER = 'mallory@evil.example';
// Decisions on the server are audited as the person who ran sudo (SUDO_USER, set below) and the
// Unix user running the command (admin/moderator-action cliActor).
const OPERATOR = `cli:held-test-operator (as ${os.userInfo().username})`;
const EVERY_MEMBER = MEMBERS.map((m) => m.address).sort();

describe('admin/held: the held command', () => {
  let dir: string;
  let file: string;
  let outDir: string;
  let h: Disclosures;
  let savedSudoUser: string | undefined;
  const realWrite = process.stdout.write;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-held-'));
    file = path.join(dir, 'list.sqlite');
    outDir = path.join(dir, 'outbox');
    const db = openDb(file);
    migrate(db, loadMigrations(MIGRATIONS_DIR));
    h = new Disclosures('', undefined, { db });
    savedSudoUser = process.env.SUDO_USER;
    process.env.SUDO_USER = 'held-test-operator';
    // Held message 1: a stranger's post to the list. Held message 2: an answer to a mail of ours, at the requests address.
    assert.equal(
      (
        await h.receive(
          listMail({
            from: STRANGER,
            subject: 'Exploit for sale',
            body: 'Buy it now.\n',
            messageId: '<offer@evil.example>',
          }),
        )
      ).outcome,
      'hold',
    );
    assert.equal(
      (
        await h.receive(
          reply({
            from: APPLICANT,
            subject: 'Re: Your request',
            body: 'Thank you!\n',
            inReplyTo: '<ack-1@lists.example.org>',
          }),
        )
      ).outcome,
      'hold',
    );
  });

  afterEach(() => {
    process.stdout.write = realWrite;
    if (savedSudoUser === undefined) delete process.env.SUDO_USER;
    else process.env.SUDO_USER = savedSudoUser;
    h.ctx.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function run(...args: string[]): Promise<string> {
    const open = (): Context => ({
      ...h.ctx,
      config: { ...h.ctx.config, outbound: { ...h.ctx.config.outbound, directory: outDir } },
      db: openDb(file),
    });
    return runInProcess((program) => registerHeld(program, open), args, { quietErrors: true });
  }

  function held(id: number): HeldRow {
    return h.ctx.db.prepare('SELECT * FROM held WHERE inbound_id = ?').get(id) as HeldRow;
  }

  /** The .eml files the command delivered, by recipient: their subjects. */
  function delivered(): { to: string; subject: string }[] {
    if (!fs.existsSync(outDir)) return [];
    return fs
      .readdirSync(outDir)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => {
        const text = fs.readFileSync(path.join(outDir, f), 'utf8').replace(/\r\n[ \t]+/g, ' ');
        return {
          to: /^X-Envelope-To: <([^>]+)>/m.exec(text)![1]!,
          subject: /^Subject: (.*)$/m.exec(text)?.[1]?.trim() ?? '',
        };
      });
  }

  const relayCopies = (): number =>
    h.ctx.db
      .prepare("SELECT count(*) FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE m.purpose = 'relay'")
      .pluck()
      .get() as number;

  it('"held list --json" lists the waiting messages, newest first, with every field', async () => {
    const rows = JSON.parse(await run('held', 'list', '--json')) as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.from, r.relayable]),
      [
        [2, APPLICANT, false],
        [1, STRANGER, true],
      ],
    );
    assert.deepEqual(rows[1], {
      id: 1,
      state: 'held',
      from: STRANGER,
      subject: 'Exploit for sale',
      messageId: '<offer@evil.example>',
      reasons: [`${STRANGER} is neither a member nor a moderator`],
      relayable: true,
      heldAt: '2026-03-10T09:30:00.000Z',
      expiresAt: '2026-03-24T09:30:00.000Z',
      decidedBy: null,
      decidedAt: null,
      reason: null,
    });
  });

  it('"held list" without --json prints one line per message with its first reason, and a count', async () => {
    assert.equal(
      await run('held', 'list'),
      `2\theld\t${APPLICANT}\tRe: Your request\t${APPLICANT} is neither a member nor a moderator\n` +
        `1\theld\t${STRANGER}\tExploit for sale\t${STRANGER} is neither a member nor a moderator\n` +
        '2 held\n',
    );
  });

  it('"held show 1 --json" gives the same fields as the list; without --json it says why, and --body adds the message', async () => {
    const listed = (JSON.parse(await run('held', 'list', '--json')) as Record<string, unknown>[]).find(
      (r) => r.id === 1,
    );
    assert.deepEqual(JSON.parse(await run('held', 'show', '1', '--json')), listed);
    const text = await run('held', 'show', '1');
    assert.match(text, /^Held message 1 \(held\)\n {2}From: {4}mallory@evil\.example\n {2}Subject: Exploit for sale\n/);
    assert.match(text, /^Why:\n {2}- mallory@evil\.example is neither a member nor a moderator\n/m);
    assert.doesNotMatch(text, /Buy it now/);
    assert.match(await run('held', 'show', '1', '--body'), /Buy it now\./);
  });

  it('"held approve 1" relays it to every member, records the operator, and delivers at once', async () => {
    assert.equal(await run('held', 'approve', '1'), `approved held message 1: ${MEMBERS.length} copies queued\n`);
    assert.deepEqual([held(1).state, held(1).decided_by], ['approved', OPERATOR]);
    const relayed = delivered()
      .filter((d) => d.subject === 'Exploit for sale')
      .map((d) => d.to)
      .sort();
    assert.deepEqual(relayed, EVERY_MEMBER);
    assert.deepEqual(
      h.ctx.db
        .prepare(
          "SELECT DISTINCT o.status FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE m.purpose = 'relay'",
        )
        .pluck()
        .all(),
      ['sent'],
    );
    assert.deepEqual(
      (JSON.parse(await run('held', 'list', '--json')) as { id: number }[]).map((r) => r.id),
      [2],
      'no longer waiting',
    );
    assert.deepEqual(
      (JSON.parse(await run('held', 'list', '--all', '--json')) as { id: number; state: string }[]).map((r) => [
        r.id,
        r.state,
      ]),
      [
        [2, 'held'],
        [1, 'approved'],
      ],
    );
  });

  it('"held reject 2 --reason ..." closes it and sends the reason to the sender', async () => {
    assert.equal(
      await run('held', 'reject', '2', '--reason', 'Write to the moderators instead.'),
      'rejected held message 2: 1 copies queued\n',
    );
    assert.deepEqual(
      [held(2).state, held(2).decided_by, held(2).reason],
      ['rejected', OPERATOR, 'Write to the moderators instead.'],
    );
    const notices = delivered().filter((d) => d.to === APPLICANT);
    assert.deepEqual(
      notices.map((d) => d.subject),
      ['[Example Security] Your message was not sent to the list: Re: Your request'],
    );
    assert.equal(relayCopies(), 0);
  });

  it('"held reject 2 TEXT" takes the reason after the id; without one it gives the reason REJECT by mail gives', async () => {
    await run('held', 'reject', '2', 'Write', 'to', 'the', 'moderators.');
    assert.deepEqual([held(2).state, held(2).reason], ['rejected', 'Write to the moderators.']);
    await run('held', 'reject', '1');
    assert.deepEqual([held(1).state, held(1).reason], ['rejected', 'The moderators did not give a reason.']);
    const audit = h.ctx.db
      .prepare("SELECT actor, detail FROM audit WHERE action = 'held.reject' ORDER BY id")
      .all() as { actor: string; detail: string }[];
    assert.deepEqual(
      audit.map((a) => [a.actor, JSON.parse(a.detail)]),
      [
        [OPERATOR, { reason: 'Write to the moderators.', via: 'cli' }],
        [OPERATOR, { reason: 'The moderators did not give a reason.', via: 'cli' }],
      ],
    );
  });

  it('"held discard 1" drops it without a word to anyone', async () => {
    const queued = h.mark();
    assert.equal(await run('held', 'discard', '1'), 'discarded held message 1\n');
    assert.deepEqual([held(1).state, held(1).decided_by], ['discarded', OPERATOR]);
    assert.equal(h.mark(), queued, 'nothing queued');
    assert.equal(relayCopies(), 0);
  });

  it('refuses a second decision, naming the first, and changes nothing', async () => {
    await run('held', 'discard', '1');
    for (const args of [
      ['approve', '1'],
      ['reject', '1', '--reason', 'x'],
      ['discard', '1'],
    ]) {
      await assert.rejects(run('held', ...args), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ALREADY_DECIDED');
        assert.ok(err.message.includes(`held message 1 was already discarded by ${OPERATOR}`), err.message);
        return true;
      });
    }
    assert.deepEqual([held(1).state, held(1).reason], ['discarded', null]);
    assert.equal(relayCopies(), 0);
  });

  it('refuses to approve a message that was not sent to the list, and leaves it held', async () => {
    await assert.rejects(run('held', 'approve', '2'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'HELD_NOT_RELAYABLE');
      assert.match(
        err.message,
        /held message 2 was not sent to the list, so there is nothing to relay; REJECT or DISCARD it/,
      );
      return true;
    });
    assert.equal(held(2).state, 'held');
    assert.equal(relayCopies(), 0);
  });

  for (const args of [
    ['show', '9'],
    ['approve', '9'],
    ['reject', '9', '--reason', 'x'],
    ['discard', '9'],
    ['show', 'one'],
    ['approve', '1; DROP TABLE held'],
  ]) {
    it(`"held ${args.join(' ')}" fails with a coded error and prints nothing`, async () => {
      let out = 'not run';
      await assert.rejects(
        async () => {
          out = await run('held', ...args);
        },
        (err: Error & { code?: string }) => {
          // A number that names nothing is not found; what is no number is unreadable.
          assert.equal(err.code, args[1] === '9' ? 'HELD_NOT_FOUND' : 'INPUT_UNREADABLE');
          assert.match(err.message, /there is no held message 9|is not a held message number/);
          return true;
        },
      );
      assert.equal(out, 'not run');
      assert.deepEqual([held(1).state, held(2).state], ['held', 'held']);
    });
  }
});
