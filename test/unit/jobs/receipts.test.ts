import assert from 'node:assert/strict';
import { runReceipts } from '../../../src/jobs/receipts';
import { markFailed, markSent } from '../../../src/store/outbox';
import { MODERATORS } from '../../helpers/context';
import {
  ALPHA,
  BETA,
  Disclosures,
  GAMMA,
  HOUR,
  MEMBERS,
  OPENING_SUBJECT,
  type Opened,
} from '../../helpers/disclosures';
import { DAY } from '../../helpers/membership';

describe('jobs/receipts: runReceipts', () => {
  let h: Disclosures;
  let thread: Opened;

  beforeEach(async () => {
    h = new Disclosures();
    thread = await h.open({ end: new Date('2026-03-20T09:30:00Z') });
  });

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

  it('sends nothing before ackHours have passed', async () => {
    h.clock.advance(72 * HOUR - 1000);
    const before = h.mark();
    assert.deepEqual(runReceipts(h.ctx), { disclosures: 0, reminded: 0 });
    assert.deepEqual(await h.sent(before), []);
  });

  it('after ackHours reminds each member without ACK once, and members who ACKed not at all', async () => {
    await h.replyInThread(BETA.address, thread.copy, 'ACK\n');
    h.clock.advance(72 * HOUR + HOUR);
    const before = h.mark();
    assert.deepEqual(runReceipts(h.ctx), { disclosures: 1, reminded: 2 });
    const reminders = (await h.sent(before)).filter((m) => m.purpose === 'member.action.ack-reminder');
    assert.deepEqual(
      reminders.map((m) => m.to),
      [[ALPHA.address], [GAMMA.address]],
    );
    for (const r of reminders) {
      assert.equal(r.subject, `[EMBARGOED until 2026-03-20 09:30 UTC] [#1] Please acknowledge: ${OPENING_SUBJECT}`);
      assert.equal(r.inReplyTo, thread.messageId);
    }
    assert.match(reminders[0]!.text, /was sent to psirt@alpha\.example at 2026-03-10 09:30 UTC/);
    assert.equal((await h.mailsTo(BETA.address, /Please acknowledge/, before)).length, 0);
    assert.deepEqual(
      h.receipts(1).map((r) => [r.member, r.reminded_at !== null]),
      [
        [ALPHA.address, true],
        [GAMMA.address, true],
        [BETA.address, false],
      ],
    );
  });

  it("sends the moderators one list of the members without ACK, with each one's delivery status", async () => {
    delivery(ALPHA.address, 'sent');
    delivery(GAMMA.address, 'failed');
    await h.replyInThread(BETA.address, thread.copy, 'ACK\n');
    h.clock.advance(4 * DAY);
    const before = h.mark();
    runReceipts(h.ctx);
    const lists = await h.mailsTo(MODERATORS[0]!, /have not acknowledged/, before);
    assert.equal(lists.length, 1);
    const list = lists[0]!;
    assert.deepEqual(list.to, MODERATORS);
    assert.equal(list.subject, '[Example Security] Disclosure #1: 2 members have not acknowledged');
    assert.match(list.text, /^ {2}psirt@alpha\.example \(Alpha\) - delivery: sent$/m);
    assert.match(list.text, /^ {2}secure@gamma\.example \(Gamma\) - delivery: failed$/m);
    assert.doesNotMatch(list.text, /security@beta\.example/);
  });

  it('shows a copy still in the outbox as pending', async () => {
    h.clock.advance(4 * DAY);
    const before = h.mark();
    runReceipts(h.ctx);
    const list = await h.find(MODERATORS[0]!, /have not acknowledged/, before);
    assert.match(list.subject, /3 members have not acknowledged/);
    for (const m of MEMBERS)
      assert.match(
        list.text,
        new RegExp(`${m.address.replace(/\./g, '\\.')} \\(${m.organization}\\) - delivery: pending`),
      );
  });

  it('a second run sends nothing', async () => {
    h.clock.advance(4 * DAY);
    runReceipts(h.ctx);
    h.clock.advance(4 * DAY);
    const before = h.mark();
    assert.deepEqual(runReceipts(h.ctx), { disclosures: 0, reminded: 0 });
    assert.deepEqual(await h.sent(before), []);
  });

  it('sends nothing at all when every member acknowledged', async () => {
    for (const m of MEMBERS) await h.replyInThread(m.address, thread.copy, 'ACK\n');
    h.clock.advance(4 * DAY);
    const before = h.mark();
    assert.deepEqual(runReceipts(h.ctx), { disclosures: 1, reminded: 0 });
    assert.deepEqual(await h.sent(before), []);
  });

  it('does not remind a member removed since the disclosure opened', async () => {
    h.ctx.db.prepare("UPDATE members SET status = 'removed' WHERE address = ?").run(GAMMA.address);
    h.clock.advance(4 * DAY);
    const before = h.mark();
    assert.deepEqual(runReceipts(h.ctx), { disclosures: 1, reminded: 2 });
    assert.equal((await h.mailsTo(GAMMA.address, /Please acknowledge/, before)).length, 0);
  });

  it('does not remind anyone of a lifted disclosure', async () => {
    await h.command(thread.opened, 'LIFT\n');
    h.clock.advance(4 * DAY);
    const before = h.mark();
    assert.deepEqual(runReceipts(h.ctx), { disclosures: 0, reminded: 0 });
    assert.deepEqual(await h.sent(before), []);
  });
});
