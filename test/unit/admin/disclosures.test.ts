import assert from 'node:assert/strict';
import { runInProcess } from '../../helpers/cli-in-process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerDisclosures } from '../../../src/admin/disclosures';
import { loadMigrations, migrate, openDb } from '../../../src/store/db';
import { markFailed, markSent } from '../../../src/store/outbox';
import { upsertMember } from '../../../src/store/members';
import { MIGRATIONS_DIR } from '../../helpers/context';
import { ALPHA, BETA, Disclosures, GAMMA, OPENING_SUBJECT, type Opened } from '../../helpers/disclosures';
import { DAY, MODERATOR } from '../../helpers/membership';

const LINES = 'What: the patch diff\nTo whom: a contractor at vendor.example\n';

describe('admin/disclosures: disclosures and leaks commands', () => {
  let dir: string;
  let file: string;
  let h: Disclosures;
  let thread: Opened;
  const realWrite = process.stdout.write;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-disclosures-'));
    file = path.join(dir, 'list.sqlite');
    const db = openDb(file);
    migrate(db, loadMigrations(MIGRATIONS_DIR));
    h = new Disclosures('', undefined, { db });
    thread = await h.open();
  });

  afterEach(() => {
    process.stdout.write = realWrite;
    h.ctx.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs one command line against the database file; returns what it printed. */
  function run(...args: string[]): Promise<string> {
    return runInProcess((program) => registerDisclosures(program, () => ({ ...h.ctx, db: openDb(file) })), args);
  }

  /** Sets how the opening copy to `address` fared. */
  function delivery(address: string, outcome: 'sent' | 'failed'): void {
    const id = h.ctx.db
      .prepare(
        "SELECT o.id FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE m.purpose = 'relay' AND o.recipient = ?",
      )
      .pluck()
      .get(address) as number;
    if (outcome === 'sent') markSent(h.ctx.db, id, 250, h.clock.now().toISOString());
    else markFailed(h.ctx.db, id, 550, 'mailbox unavailable', h.clock.now().toISOString());
  }

  it('"disclosures list --json" lists the threads, newest first', async () => {
    await h.open({
      subject: 'CVE-2026-0002: another one',
      extra: 'Upstream: yes',
      end: new Date('2026-03-20T16:00:00Z'),
    });
    await h.command(thread.opened, 'LIFT\n');
    const rows = JSON.parse(await run('disclosures', 'list', '--json')) as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.state, r.embargoEnd, r.upstream]),
      [
        [2, 'embargoed', '2026-03-20T16:00:00.000Z', true],
        [1, 'public', '2026-03-13T09:30:00.000Z', false],
      ],
    );
    assert.deepEqual(rows[1], {
      id: 1,
      subject: OPENING_SUBJECT,
      state: 'public',
      embargoEnd: '2026-03-13T09:30:00.000Z',
      upstream: false,
      openedBy: MODERATOR,
      openedAt: '2026-03-10T09:30:00.000Z',
      liftedAt: '2026-03-10T09:30:00.000Z',
      liftedBy: MODERATOR,
      openingMessageId: thread.messageId,
    });
  });

  it('"disclosures list" without --json prints one line per thread and a count', async () => {
    const out = await run('disclosures', 'list');
    assert.equal(out, `#1\tembargoed\tuntil 2026-03-13 09:30 UTC\t${OPENING_SUBJECT}\n1 disclosure\n`);
  });

  it('"disclosures show 1 --json" gives each member\'s delivery (delivered, bounced, pending) and acknowledgement', async () => {
    delivery(ALPHA.address, 'sent');
    delivery(GAMMA.address, 'failed');
    h.clock.advance(DAY);
    await h.replyInThread(BETA.address, thread.copy, 'ACK\n');
    await h.replyInThread(ALPHA.address, thread.copy, 'ACK\n');
    const shown = JSON.parse(await run('disclosures', 'show', '1', '--json')) as {
      id: number;
      state: string;
      members: unknown[];
    };
    assert.deepEqual([shown.id, shown.state], [1, 'embargoed']);
    assert.deepEqual(shown.members, [
      {
        member: ALPHA.address,
        organization: 'Alpha',
        delivery: 'delivered',
        acknowledged: '2026-03-11T09:30:00.000Z',
        reminded: null,
      },
      { member: GAMMA.address, organization: 'Gamma', delivery: 'bounced', acknowledged: null, reminded: null },
      {
        member: BETA.address,
        organization: 'Beta',
        delivery: 'pending',
        acknowledged: '2026-03-11T09:30:00.000Z',
        reminded: null,
      },
    ]);
  });

  it('"disclosures show #1" reads the number with its hash, and a member that joined later shows as not sent', async () => {
    upsertMember(h.ctx.db, 'cert@delta.example', 'Delta', h.clock.now().toISOString());
    await h.replyInThread('cert@delta.example', thread.copy, 'ACK\n');
    const shown = JSON.parse(await run('disclosures', 'show', '#1', '--json')) as {
      members: { member: string; delivery: string }[];
    };
    assert.deepEqual(shown.members.find((m) => m.member === 'cert@delta.example')?.delivery, 'not sent');
  });

  it('"disclosures show 1" without --json says how many acknowledged', async () => {
    await h.replyInThread(BETA.address, thread.copy, 'ACK\n');
    const out = await run('disclosures', 'show', '1');
    assert.match(out, /^Disclosure #1 \(embargoed\): CVE-2026-0001/);
    assert.match(out, /Embargo: until 2026-03-13 09:30 UTC/);
    assert.match(out, /^security@beta\.example\tBeta\tpending\t2026-03-10 09:30 UTC$/m);
    assert.match(out, /1 of 3 acknowledged\n$/);
  });

  it('"leaks list --json" and "leaks show 1 --json" give the report and its retrospective', async () => {
    const before = h.mark();
    await h.post({
      from: BETA.address,
      subject: `LEAK: ${thread.copy.subject}`,
      body: LINES,
      inReplyTo: thread.messageId,
    });
    const urgent = await h.find(MODERATOR, /URGENT/, before);
    h.clock.advance(DAY);
    await h.command(urgent, 'RETRO Forwarding is off now\n');

    const list = JSON.parse(await run('leaks', 'list', '--json')) as Record<string, unknown>[];
    assert.equal(list.length, 1);
    const shown = JSON.parse(await run('leaks', 'show', '1', '--json')) as Record<string, unknown>;
    assert.deepEqual(list[0], shown);
    assert.deepEqual(
      { ...shown, text: undefined },
      {
        id: 1,
        disclosure: 1,
        reporter: BETA.address,
        reporterOrganization: 'Beta',
        leaker: BETA.address,
        leakerOrganization: 'Beta',
        attribution: 'self',
        leakerNamed: null,
        leakerCandidates: [],
        what: 'the patch diff',
        toWhom: 'a contractor at vendor.example',
        reportedAt: '2026-03-10T09:30:00.000Z',
        retrospective: {
          due: '2026-03-17T09:30:00.000Z',
          closedAt: '2026-03-11T09:30:00.000Z',
          closedBy: MODERATOR,
          summary: 'Forwarding is off now',
        },
        removalProposedAt: null,
        text: undefined,
      },
    );
    assert.match(shown.text as string, /What: the patch diff/);
  });

  it('"leaks list" and "leaks show" name who reported each leak and who leaked, apart', async () => {
    upsertMember(h.ctx.db, 'security@newcomer.example', ' BETA ', h.clock.now().toISOString());
    const say = (from: string, body: string) =>
      h.post({ from, subject: `LEAK: ${thread.copy.subject}`, body, inReplyTo: thread.messageId });
    await say(BETA.address, LINES);
    await say(GAMMA.address, `Leaked by: ${ALPHA.address}\n${LINES}`);
    await say(GAMMA.address, `Leaked by: beta\n${LINES}`);
    await say(ALPHA.address, `Leaked by: nobody@outsider.example\n${LINES}`);
    const list = await run('leaks', 'list');
    assert.match(
      list,
      /^#1\tdisclosure #1\treported by security@beta\.example\tleaked by security@beta\.example \(Beta\), the reporter's own leak\t/m,
    );
    assert.match(
      list,
      /^#2\tdisclosure #1\treported by secure@gamma\.example\tleaked by psirt@alpha\.example \(Alpha\), named by the reporter; not counted toward removal\t/m,
    );
    assert.match(
      list,
      /^#3\tdisclosure #1\treported by secure@gamma\.example\tleaked by not attributed: "beta" matches security@beta\.example, security@newcomer\.example\t/m,
    );
    assert.match(
      list,
      /^#4\tdisclosure #1\treported by psirt@alpha\.example\tleaked by not attributed: "nobody@outsider\.example" is no member\t/m,
    );
    const shown = await run('leaks', 'show', '3');
    assert.match(shown, /^ {2}Reported by: secure@gamma\.example \(Gamma\), in thread #1$/m);
    assert.match(
      shown,
      /^ {2}Leaked by: {3}not attributed: "beta" matches security@beta\.example, security@newcomer\.example$/m,
    );
    const json = JSON.parse(await run('leaks', 'show', '3', '--json')) as Record<string, unknown>;
    assert.deepEqual(
      [json.reporter, json.leaker, json.attribution, json.leakerNamed, json.leakerCandidates],
      [GAMMA.address, null, 'ambiguous', 'beta', [BETA.address, 'security@newcomer.example']],
    );
  });

  it('"leaks list" is empty when nobody reported a leak', async () => {
    assert.deepEqual(JSON.parse(await run('leaks', 'list', '--json')), []);
    assert.equal(await run('leaks', 'list'), '0 leaks\n');
  });

  for (const args of [
    ['disclosures', 'show', '9'],
    ['disclosures', 'show', 'one'],
    ['leaks', 'show', '1'],
    ['leaks', 'show', '#x'],
  ]) {
    it(`"${args.join(' ')}" fails with a coded error and prints nothing`, async () => {
      let out = 'not run';
      await assert.rejects(
        async () => {
          out = await run(...args);
        },
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'INPUT_UNREADABLE');
          assert.match(err.message, /is not a (disclosure|leak) number|there is no (disclosure|leak)/);
          return true;
        },
      );
      assert.equal(out, 'not run');
    });
  }
});
