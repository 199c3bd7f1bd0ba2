import assert from 'node:assert/strict';
import os from 'node:os';
import type { Context } from '../../../src/context';
import type { Envelope, Transport } from '../../../src/mail/transport';
import { Deliverer, OWNER, ownerAlive } from '../../../src/runners/deliver';
import { claimDue, enqueueMail } from '../../../src/store/outbox';
import {
  BOUNCE_ADDRESS,
  createTestContext,
  FIXED_DATE,
  manualClock,
  testConfig,
  type ManualClock,
} from '../../helpers/context';

type Reply = number | null | Error;

/** A transport that answers from a script: per recipient, one reply per attempt (the last repeats). */
class FakeTransport implements Transport {
  readonly calls: { envelope: Envelope; raw: Buffer; deliveryId: number }[] = [];
  constructor(private readonly script: Record<string, Reply[]> = {}) {}
  async send(envelope: Envelope, raw: Buffer, deliveryId: number): Promise<number | null> {
    this.calls.push({ envelope, raw, deliveryId });
    const replies = this.script[envelope.to] ?? [250];
    const tries = this.calls.filter((c) => c.envelope.to === envelope.to).length;
    const reply = replies[Math.min(tries, replies.length) - 1]!;
    if (reply instanceof Error) throw reply;
    return reply;
  }
  close(): void {}
  describe(): string {
    return 'fake';
  }
}

function smtpError(responseCode: number, response: string): Error {
  return Object.assign(new Error(`Can't send mail - all recipients were rejected: ${response}`), {
    code: 'EENVELOPE',
    responseCode,
    response,
  });
}

function connectionError(): Error {
  return Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' });
}

interface Row {
  recipient: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_code: number | null;
  last_error: string | null;
  finished_at: string | null;
}
const rows = (ctx: Context): Row[] => ctx.db.prepare('SELECT * FROM outbox ORDER BY id').all() as Row[];
const row = (ctx: Context, recipient: string): Row => rows(ctx).find((r) => r.recipient === recipient)!;

const SECOND = 1000;
const HOUR = 3600 * SECOND;

describe('runners/deliver (Deliverer)', () => {
  let clock: ManualClock;
  let ctx: Context;

  function queue(recipients: string[], raw = Buffer.from('Subject: x\r\n\r\nbody\r\n')): void {
    enqueueMail(
      ctx.db,
      {
        inboundId: null,
        purpose: 'relay',
        envelopeFrom: BOUNCE_ADDRESS,
        messageId: '<m@member.example>',
        raw,
        recipients,
      },
      clock.now().toISOString(),
    );
  }

  beforeEach(() => {
    clock = manualClock(FIXED_DATE);
    ctx = createTestContext({ clock: clock.now });
  });

  it('sends each copy in its own envelope from the bounce address and marks it sent with the reply code', async () => {
    const raw = Buffer.from('Subject: relayed\r\n\r\nbody\r\n');
    queue(['a@member.example', 'b@member.example'], raw);
    const transport = new FakeTransport();
    const result = await new Deliverer(ctx, transport).drainOnce();
    assert.deepEqual(result, { sent: 2, retried: 0, failed: 0 });
    assert.deepEqual(
      transport.calls.map((c) => c.envelope),
      [
        { from: BOUNCE_ADDRESS, to: 'a@member.example' },
        { from: BOUNCE_ADDRESS, to: 'b@member.example' },
      ],
    );
    for (const c of transport.calls) assert.deepEqual(c.raw, raw);
    assert.notEqual(transport.calls[0]!.deliveryId, transport.calls[1]!.deliveryId);
    assert.deepEqual(
      rows(ctx).map((r) => [r.status, r.last_code, r.attempts, r.finished_at]),
      [
        ['sent', 250, 1, FIXED_DATE.toISOString()],
        ['sent', 250, 1, FIXED_DATE.toISOString()],
      ],
    );
  });

  it('does not send a sent copy again', async () => {
    queue(['a@member.example']);
    const transport = new FakeTransport();
    const deliverer = new Deliverer(ctx, transport);
    await deliverer.drainOnce();
    clock.advance(24 * HOUR);
    assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 0, failed: 0 });
    assert.equal(transport.calls.length, 1);
  });

  it('records a transport without a reply code (a directory) as sent with no code', async () => {
    queue(['a@member.example']);
    await new Deliverer(ctx, new FakeTransport({ 'a@member.example': [null] })).drainOnce();
    assert.deepEqual([row(ctx, 'a@member.example').status, row(ctx, 'a@member.example').last_code], ['sent', null]);
  });

  it('retries a copy refused with 451 later, after the first wait, and then sends it', async () => {
    queue(['a@member.example']);
    const transport = new FakeTransport({
      'a@member.example': [smtpError(451, '451 4.7.1 Greylisted, try again later'), 250],
    });
    const deliverer = new Deliverer(ctx, transport);

    assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 1, failed: 0 });
    const deferred = row(ctx, 'a@member.example');
    assert.deepEqual(
      [deferred.status, deferred.last_code, deferred.last_error, deferred.next_attempt_at],
      [
        'pending',
        451,
        '451 4.7.1 Greylisted, try again later',
        new Date(FIXED_DATE.getTime() + 60 * SECOND).toISOString(),
      ],
    );

    clock.advance(59 * SECOND);
    assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 0, failed: 0 });
    assert.equal(transport.calls.length, 1);

    clock.advance(1 * SECOND);
    assert.deepEqual(await deliverer.drainOnce(), { sent: 1, retried: 0, failed: 0 });
    assert.deepEqual([row(ctx, 'a@member.example').status, row(ctx, 'a@member.example').attempts], ['sent', 2]);
  });

  it('doubles the wait after each temporary failure, up to maxSeconds', async () => {
    const base = testConfig();
    ctx = createTestContext({
      clock: clock.now,
      config: {
        ...base,
        outbound: { ...base.outbound, retry: { firstSeconds: 60, maxSeconds: 200, giveUpHours: 72 } },
      },
    });
    queue(['a@member.example']);
    const deliverer = new Deliverer(
      ctx,
      // 451 to this recipient: the copy's own wait (a 421 pauses the relay instead: deliver-faults.test.ts).
      new FakeTransport({ 'a@member.example': [smtpError(451, '451 4.7.1 Greylisted, try again later')] }),
    );
    const waits: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const before = clock.now().getTime();
      assert.equal((await deliverer.drainOnce()).retried, 1);
      const next = Date.parse(row(ctx, 'a@member.example').next_attempt_at);
      waits.push((next - before) / SECOND);
      clock.set(new Date(next));
    }
    assert.deepEqual(waits, [60, 120, 200, 200, 200]);
    assert.equal(row(ctx, 'a@member.example').attempts, 5);
  });

  it('retries a copy after a connection error without a reply', async () => {
    queue(['a@member.example']);
    const result = await new Deliverer(ctx, new FakeTransport({ 'a@member.example': [connectionError()] })).drainOnce();
    assert.equal(result.retried, 1);
    assert.deepEqual([row(ctx, 'a@member.example').status, row(ctx, 'a@member.example').last_code], ['pending', null]);
  });

  it('fails a copy refused with 550 for that recipient only, and never tries it again', async () => {
    queue(['a@member.example', 'gone@member.example', 'c@member.example']);
    const transport = new FakeTransport({ 'gone@member.example': [smtpError(550, '550 5.1.1 User unknown')] });
    const deliverer = new Deliverer(ctx, transport);
    assert.deepEqual(await deliverer.drainOnce(), { sent: 2, retried: 0, failed: 1 });
    assert.deepEqual(
      rows(ctx).map((r) => [r.recipient, r.status, r.last_code]),
      [
        ['a@member.example', 'sent', 250],
        ['gone@member.example', 'failed', 550],
        ['c@member.example', 'sent', 250],
      ],
    );
    assert.equal(row(ctx, 'gone@member.example').last_error, '550 5.1.1 User unknown');
    clock.advance(100 * HOUR);
    await deliverer.drainOnce();
    assert.equal(transport.calls.filter((c) => c.envelope.to === 'gone@member.example').length, 1);
  });

  it('fails a copy older than giveUpHours on a temporary error instead of retrying it', async () => {
    queue(['a@member.example']);
    const deliverer = new Deliverer(ctx, new FakeTransport({ 'a@member.example': [smtpError(451, '451 try later')] }));
    clock.advance(72 * HOUR);
    assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 0, failed: 1 });
    assert.deepEqual([row(ctx, 'a@member.example').status, row(ctx, 'a@member.example').last_code], ['failed', 451]);
  });

  it('still retries a copy a little younger than giveUpHours', async () => {
    queue(['a@member.example']);
    const deliverer = new Deliverer(ctx, new FakeTransport({ 'a@member.example': [smtpError(451, '451 try later')] }));
    clock.advance(72 * HOUR - 60 * SECOND);
    assert.deepEqual(await deliverer.drainOnce(), { sent: 0, retried: 1, failed: 0 });
  });

  it('keeps at most 500 characters of a long error', async () => {
    queue(['a@member.example']);
    await new Deliverer(
      ctx,
      new FakeTransport({ 'a@member.example': [smtpError(451, `451 ${'x'.repeat(2000)}`)] }),
    ).drainOnce();
    assert.equal(row(ctx, 'a@member.example').last_error!.length, 500);
  });

  it('drains more copies than one batch holds', async () => {
    queue(['a@member.example', 'b@member.example', 'c@member.example', 'd@member.example', 'e@member.example']);
    const transport = new FakeTransport();
    assert.deepEqual(await new Deliverer(ctx, transport, 2).drainOnce(), { sent: 5, retried: 0, failed: 0 });
    assert.equal(transport.calls.length, 5);
  });

  describe('the pipeline', () => {
    /** A transport of `concurrency` connections whose sends finish when the test says so. */
    class GatedTransport implements Transport {
      readonly started: string[] = [];
      readonly waiting = new Map<string, () => void>();
      /** Copies the transport acknowledged that the outbox did not yet show as sent when the next copy started. */
      readonly unmarkedAtStart: number[] = [];
      private readonly acked = new Set<number>();
      constructor(
        readonly concurrency: number,
        private readonly ctx: Context,
      ) {}
      async send(envelope: Envelope, _raw: Buffer, deliveryId: number): Promise<number> {
        const sent = new Set(
          this.ctx.db.prepare("SELECT id FROM outbox WHERE status = 'sent'").pluck().all() as number[],
        );
        this.unmarkedAtStart.push([...this.acked].filter((id) => !sent.has(id)).length);
        this.started.push(envelope.to);
        await new Promise<void>((resolve) => this.waiting.set(envelope.to, resolve));
        this.acked.add(deliveryId);
        return 250;
      }
      finish(to: string): void {
        const go = this.waiting.get(to);
        assert.ok(go, `${to} is not being sent`);
        this.waiting.delete(to);
        go();
      }
      close(): void {}
      describe(): string {
        return 'gated';
      }
    }
    /** Lets the deliverer run until it waits on the transport again (a mark is committed one turn later). */
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
    };
    const members = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}@member.example`);

    it('keeps one copy per connection in flight, and claims no more, however many are due', async () => {
      queue(members(20));
      const transport = new GatedTransport(2, ctx);
      const drained = new Deliverer(ctx, transport).drainOnce();
      const claimed = (): number =>
        ctx.db.prepare("SELECT count(*) FROM outbox WHERE status = 'sending'").pluck().get() as number;
      await settle();
      assert.equal(transport.waiting.size, 2);
      assert.equal(claimed(), 2);
      for (;;) {
        const next = [...transport.waiting.keys()][0];
        if (!next) break;
        transport.finish(next);
        await settle();
        assert.ok(transport.waiting.size <= 2);
        assert.ok(claimed() <= 2, `${claimed()} copies claimed for 2 connections`);
      }
      assert.deepEqual(await drained, { sent: 20, retried: 0, failed: 0 });
    });

    it('does not let one slow copy hold the others: the rest are sent while it waits', async () => {
      queue(['slow@member.example', ...members(10)]);
      const transport = new GatedTransport(2, ctx);
      // Two connections: a slow copy on one must not hold back the copies the other can send.
      const drained = new Deliverer(ctx, transport, 4).drainOnce();
      await settle();
      for (let i = 0; i < 10; i += 1) {
        const next = [...transport.waiting.keys()].find((to) => to !== 'slow@member.example');
        assert.ok(next, `copy ${i} was started while the slow one waits`);
        transport.finish(next);
        await settle();
      }
      assert.equal(rows(ctx).filter((r) => r.status === 'sent').length, 10);
      transport.finish('slow@member.example');
      assert.deepEqual(await drained, { sent: 11, retried: 0, failed: 0 });
    });

    it('marks each acknowledged copy sent before it starts another, so a kill re-sends only copies in flight', async () => {
      queue(members(30));
      const transport = new GatedTransport(3, ctx);
      const drained = new Deliverer(ctx, transport).drainOnce();
      for (;;) {
        await settle();
        const all = [...transport.waiting.keys()];
        if (all.length === 0) break;
        // Several finish in one turn: the worst case for marks that lag behind.
        for (const to of all.slice(0, 3)) transport.finish(to);
      }
      await drained;
      assert.equal(transport.started.length, 30);
      assert.deepEqual(
        transport.unmarkedAtStart.filter((n) => n > 0),
        [],
      );
    });

    it('gives back, when stopping, the copies it claimed and had not started', async () => {
      queue(members(10));
      const transport = new GatedTransport(2, ctx);
      const deliverer = new Deliverer(ctx, transport, 4);
      const drained = deliverer.drainOnce();
      await settle();
      const inFlight = [...transport.waiting.keys()];
      assert.equal(inFlight.length, 2);
      // The first copy done, its worker claims the next and the stop comes before it is started.
      transport.finish(inFlight[0]!);
      const stopped = deliverer.stop();
      transport.finish(inFlight[1]!);
      await stopped;
      assert.deepEqual(await drained, { sent: 2, retried: 0, failed: 0 });
      assert.deepEqual(
        rows(ctx).map((r) => [r.status, r.attempts]),
        [...inFlight.map(() => ['sent', 1]), ...Array.from({ length: 8 }, () => ['pending', 0])],
      );
      assert.equal(ctx.db.prepare('SELECT count(*) FROM outbox WHERE claimed_by IS NOT NULL').pluck().get(), 0);
    });
  });

  describe('recover', () => {
    it('puts back the copies a killed process of this host was sending, and they are sent again', async () => {
      queue(['a@member.example']);
      claimDue(ctx.db, `${os.hostname()}:2147483646`, clock.now().toISOString(), 10);
      const transport = new FakeTransport();
      const deliverer = new Deliverer(ctx, transport);
      assert.equal(deliverer.recover(), 1);
      assert.equal((await deliverer.drainOnce()).sent, 1);
    });

    it('leaves alone the copies this very process is sending', () => {
      queue(['a@member.example']);
      claimDue(ctx.db, OWNER, clock.now().toISOString(), 10);
      assert.equal(new Deliverer(ctx, new FakeTransport()).recover(), 0);
      assert.deepEqual(
        rows(ctx).map((r) => r.status),
        ['sending'],
      );
    });

    it('puts back the copies claimed on another host: the database is not shared, so that was an earlier container', () => {
      queue(['a@member.example']);
      claimDue(ctx.db, 'old-container.example:1:abcdef12', clock.now().toISOString(), 10);
      assert.equal(new Deliverer(ctx, new FakeTransport()).recover(), 1);
      assert.deepEqual(
        rows(ctx).map((r) => r.status),
        ['pending'],
      );
    });
  });

  describe('ownerAlive', () => {
    it('says this process is alive', () => {
      assert.equal(ownerAlive(OWNER), true);
    });

    it('says another running process of this host is alive', () => {
      assert.equal(ownerAlive(`${os.hostname()}:${process.ppid}:0000abcd`), true);
    });

    it('says a pid that does not run on this host is not alive', () => {
      assert.equal(ownerAlive(`${os.hostname()}:2147483646:0000abcd`), false);
    });

    it('says an earlier start with this same pid is not alive', () => {
      assert.equal(ownerAlive(`${os.hostname()}:${process.pid}:0000abcd`), false);
    });

    it('says an owner on another host is not alive', () => {
      assert.equal(ownerAlive('some-other-host.example:1:0000abcd'), false);
    });
  });
});
