/**
 * The deliverer when things fail apart (issue 14): the database refusing the "sent" mark after the
 * relay took a copy, a relay that fails as a whole (421, connections), a send that hangs, and this
 * process's own claims left behind. Real SQLite (in memory); the relay is a scripted transport
 * here, and a real SMTP server in test/integration/delivery-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Context } from '../../../src/context';
import type { Envelope, Transport } from '../../../src/mail/transport';
import { Deliverer, OWNER, type DeliveryTiming } from '../../../src/runners/deliver';
import { dbHealth, resetDbHealthForTests } from '../../../src/store/db-health';
import { claimDue, enqueueMail } from '../../../src/store/outbox';
import { BOUNCE_ADDRESS, createTestContext, FIXED_DATE, manualClock, type ManualClock } from '../../helpers/context';
import { waitUntil } from '../../helpers/wait';

type Line = { msg: string; [k: string]: unknown };

function capturingLog(): { log: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

/** A relay the test scripts: `answer` decides each send; `hold` keeps sends waiting until released. */
class ScriptedRelay implements Transport {
  readonly calls: string[] = [];
  readonly accepted: string[] = [];
  answer: (to: string) => number | Error = () => 250;
  hold = false;
  private readonly held: (() => void)[] = [];
  constructor(readonly concurrency: number) {}
  async send(envelope: Envelope): Promise<number | null> {
    this.calls.push(envelope.to);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    const a = this.answer(envelope.to);
    if (a instanceof Error) throw a;
    this.accepted.push(envelope.to);
    return a;
  }
  get waiting(): number {
    return this.held.length;
  }
  release(): void {
    this.hold = false;
    for (const go of this.held.splice(0)) go();
  }
  close(): void {}
  describe(): string {
    return 'scripted';
  }
}

const greeting421 = (): Error =>
  Object.assign(new Error('Invalid greeting. response=421 4.3.2 busy: 421 4.3.2 busy'), {
    code: 'EPROTOCOL',
    responseCode: 421,
    response: '421 4.3.2 busy',
    command: 'CONN',
  });
const connectionRefused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET', command: 'CONN' });
const greylisted = (): Error =>
  Object.assign(new Error('Recipient command failed: 451 4.7.1 Greylisted'), {
    code: 'EENVELOPE',
    responseCode: 451,
    response: '451 4.7.1 Greylisted',
    command: 'RCPT TO',
  });

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('runners/deliver: faults', () => {
  let clock: ManualClock;
  let ctx: Context;
  let lines: Line[];
  /** The deliverer's own clock for pauses and probes (ms), moved by hand. */
  let now: number;
  const timing = (): Partial<DeliveryTiming> => ({
    now: () => now,
    writeRetryFirstMs: 2,
    writeRetryMaxMs: 10,
    probeFirstMs: 1_000,
    probeMaxMs: 4_000,
  });
  const members = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}@member.example`);
  const queue = (recipients: string[]): void => {
    enqueueMail(
      ctx.db,
      {
        inboundId: null,
        purpose: 'relay',
        envelopeFrom: BOUNCE_ADDRESS,
        messageId: '<m@member.example>',
        raw: Buffer.from('Subject: x\r\n\r\nbody\r\n'),
        recipients,
      },
      clock.now().toISOString(),
    );
  };
  const statuses = (): Record<string, number> =>
    Object.fromEntries(
      (
        ctx.db.prepare('SELECT status, count(*) AS n FROM outbox GROUP BY status').all() as {
          status: string;
          n: number;
        }[]
      ).map((r) => [r.status, r.n]),
    );
  const logged = (word: string): Line[] => lines.filter((l) => l.msg.startsWith(word));

  beforeEach(() => {
    clock = manualClock(FIXED_DATE);
    const captured = capturingLog();
    lines = captured.lines;
    ctx = createTestContext({ clock: clock.now, log: captured.log });
    now = 1_000_000;
    resetDbHealthForTests();
  });
  afterEach(() => resetDbHealthForTests());

  describe('the "sent" mark failing after the relay took the copy', () => {
    /** Every write to the outbox fails, as on a full disk, until the trigger is dropped. */
    const refuseWrites = (): void => {
      ctx.db.exec(
        "CREATE TEMP TRIGGER refuse_outbox BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
      );
    };
    const allowWrites = (): void => {
      ctx.db.exec('DROP TRIGGER refuse_outbox');
    };
    /** How many failed writes db-health was told of. */
    const markFailures = (): number => Number(/(\d+) failures?\)$/.exec(dbHealth().detail ?? '')?.[1] ?? 0);

    it('keeps the answer, retries the mark until it is written, and neither sends the copy again nor queues it', async () => {
      queue(['a@member.example']);
      const relay = new ScriptedRelay(2);
      relay.hold = true;
      const drained = new Deliverer(ctx, relay, 100, timing()).drainOnce();
      await settle();
      assert.equal(relay.waiting, 1);
      refuseWrites();
      relay.release();
      // Several tries of the mark, and still the copy is neither queued again nor sent again.
      await waitUntil(() => markFailures() >= 3, { what: 'three failed tries of the mark' });
      assert.deepEqual(statuses(), { sending: 1 });
      assert.deepEqual(relay.calls, ['a@member.example']);
      assert.deepEqual(logged('DEFERRED'), []);
      assert.deepEqual(logged('FAILED'), []);

      allowWrites();
      assert.deepEqual(await drained, { sent: 1, retried: 0, failed: 0 });
      assert.deepEqual(statuses(), { sent: 1 });
      const row = ctx.db.prepare('SELECT last_code, attempts, claimed_by FROM outbox').get() as Record<string, unknown>;
      assert.deepEqual(row, { last_code: 250, attempts: 1, claimed_by: null });
      assert.equal(relay.calls.length, 1, 'sent once');
      assert.equal(dbHealth().ok, true, 'the written mark tells db-health the database works again');
      assert.equal(logged('SENT').length, 1, 'SENT is logged once the mark is written');
      assert.equal(logged('RECORDED').length, 1);
    });

    it('starts no other copy on that worker while the mark waits', async () => {
      queue(members(6));
      const relay = new ScriptedRelay(1);
      const deliverer = new Deliverer(ctx, relay, 100, timing());
      relay.hold = true;
      const drained = deliverer.drainOnce();
      await settle();
      refuseWrites();
      relay.release();
      await waitUntil(() => markFailures() >= 3, { what: 'three failed tries of the mark' });
      assert.equal(relay.calls.length, 1, 'one connection, one copy held until its mark is written');
      allowWrites();
      assert.deepEqual(await drained, { sent: 6, retried: 0, failed: 0 });
      assert.equal(new Set(relay.accepted).size, 6);
      assert.equal(relay.accepted.length, 6);
    });

    it('gives up on the mark only when stopping, says so, and leaves the copy claimed for a restart', async () => {
      queue(['a@member.example']);
      const relay = new ScriptedRelay(1);
      relay.hold = true;
      const deliverer = new Deliverer(ctx, relay, 100, { ...timing(), stopWriteGraceMs: 0 });
      const drained = deliverer.drainOnce();
      await settle();
      refuseWrites();
      relay.release();
      await waitUntil(() => !dbHealth().ok, { what: 'the failed mark' });
      await deliverer.stop();
      assert.deepEqual(await drained, { sent: 1, retried: 0, failed: 0 });
      assert.equal(logged('UNRECORDED').length, 1);
      allowWrites();
      assert.deepEqual(statuses(), { sending: 1 });
    });
  });

  describe('a relay that fails as a whole', () => {
    it('pauses all sending after a 421, then probes with one copy, backing off, and resumes when one is accepted', async () => {
      queue(members(10));
      const relay = new ScriptedRelay(3);
      relay.answer = () => greeting421();
      const deliverer = new Deliverer(ctx, relay, 100, timing());

      // The copies on the three connections fail; nothing more is claimed.
      assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 3, failed: 0 });
      assert.equal(relay.calls.length, 3);
      assert.equal(logged('RELAY_PAUSED').length, 1, 'one pause, not one per copy');
      assert.deepEqual(statuses(), { pending: 10 });
      assert.notEqual(deliverer.pausedSince, null);

      // Before the probe's time: nothing at all, however often it is woken.
      for (let i = 0; i < 5; i += 1) assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 0, failed: 0 });
      assert.equal(relay.calls.length, 3);

      // Probes: one copy each, the wait doubling (1 s, 2 s, 4 s, 4 s).
      const probeTimes: number[] = [];
      for (let t = 0; t <= 12_000; t += 500) {
        now = 1_000_000 + t;
        const before = relay.calls.length;
        await deliverer.drainOnce();
        assert.ok(relay.calls.length - before <= 1, 'a probe is one copy');
        if (relay.calls.length > before) probeTimes.push(t);
      }
      assert.deepEqual(probeTimes, [1_000, 3_000, 7_000, 11_000]);
      assert.deepEqual(statuses(), { pending: 10 });

      // The relay is back: the next probe is accepted and the rest follow in the same pass.
      relay.answer = () => 250;
      now += 4_000;
      assert.deepEqual(await deliverer.drainOnce(), { sent: 10, retried: 0, failed: 0 });
      assert.equal(deliverer.pausedSince, null);
      assert.equal(logged('RELAY_RESUMED').length, 1);
      assert.deepEqual(statuses(), { sent: 10 });
      assert.deepEqual([...relay.accepted].sort(), members(10).sort(), 'each copy delivered once');
      // A paused copy is due as it was: no copy waits its own backoff after the relay is back.
      const waits = ctx.db.prepare('SELECT count(*) FROM outbox WHERE next_attempt_at > created_at').pluck().get();
      assert.equal(waits, 0);
    });

    it('pauses after a connection failure too', async () => {
      queue(members(4));
      const relay = new ScriptedRelay(2);
      relay.answer = () => connectionRefused();
      const deliverer = new Deliverer(ctx, relay, 100, timing());
      assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 2, failed: 0 });
      assert.equal(logged('RELAY_PAUSED').length, 1);
      assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 0, failed: 0 });
      relay.answer = () => 250;
      now += 1_000;
      assert.deepEqual(await deliverer.drainOnce(), { sent: 4, retried: 0, failed: 0 });
    });

    it('does not pause for a refusal of one recipient: the others are sent at once', async () => {
      queue(members(4));
      const relay = new ScriptedRelay(2);
      relay.answer = (to) => (to === 'm1@member.example' ? greylisted() : 250);
      const deliverer = new Deliverer(ctx, relay, 100, timing());
      assert.deepEqual(await deliverer.drainOnce(), { sent: 3, retried: 1, failed: 0 });
      assert.equal(deliverer.pausedSince, null);
      assert.deepEqual(logged('RELAY_PAUSED'), []);
    });

    it('resumes when the probe copy is refused for its own reason: the relay answered', async () => {
      queue(members(3));
      const relay = new ScriptedRelay(1);
      relay.answer = () => greeting421();
      const deliverer = new Deliverer(ctx, relay, 100, timing());
      await deliverer.drainOnce();
      relay.answer = (to) => (to === 'm0@member.example' ? greylisted() : 250);
      now += 1_000;
      assert.deepEqual(await deliverer.drainOnce(), { sent: 2, retried: 1, failed: 0 });
      assert.equal(logged('RELAY_RESUMED').length, 1);
    });
  });

  it('logs a send that waits longer than slowSendMs (SEND_SLOW), while it waits', async () => {
    queue(['a@member.example']);
    const relay = new ScriptedRelay(1);
    relay.hold = true;
    const drained = new Deliverer(ctx, relay, 100, { ...timing(), slowSendMs: 5 }).drainOnce();
    await waitUntil(() => logged('SEND_SLOW').length > 0, { what: 'SEND_SLOW' });
    assert.match(logged('SEND_SLOW')[0]!.msg, /^SEND_SLOW .* to=a@member\.example no answer from scripted/);
    relay.release();
    assert.deepEqual(await drained, { sent: 1, retried: 0, failed: 0 });
    assert.equal(logged('SEND_SLOW').length, 1, 'once per send');
  });

  describe("this process's own stale claims", () => {
    it('gives back a claim it no longer holds once it is older than staleClaimMs, without a restart', async () => {
      queue(['a@member.example']);
      claimDue(ctx.db, OWNER, clock.now().toISOString(), 10);
      const deliverer = new Deliverer(ctx, new ScriptedRelay(1), 100, { ...timing(), staleClaimMs: 300_000 });
      clock.advance(299_000);
      assert.equal(deliverer.recover(), 0, 'not yet stale');
      clock.advance(2_000);
      assert.equal(deliverer.recover(), 1);
      assert.deepEqual(statuses(), { pending: 1 });
      assert.equal(logged('RECOVERED').length, 1);
    });

    it('never gives back a copy it is still sending, however old the claim', async () => {
      queue(['a@member.example']);
      const relay = new ScriptedRelay(1);
      relay.hold = true;
      const deliverer = new Deliverer(ctx, relay, 100, { ...timing(), staleClaimMs: 300_000 });
      const drained = deliverer.drainOnce();
      await settle();
      clock.advance(3_600_000);
      assert.equal(deliverer.recover(), 0);
      assert.deepEqual(statuses(), { sending: 1 });
      relay.release();
      assert.deepEqual(await drained, { sent: 1, retried: 0, failed: 0 });
      assert.equal(relay.calls.length, 1);
    });
  });
});
