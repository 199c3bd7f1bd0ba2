import assert from 'node:assert/strict';
import { runEmbargoClock } from '../../../src/jobs/embargo';
import {
  ALPHA,
  BETA,
  Disclosures,
  HOUR,
  isoLine,
  MEMBERS,
  OPENING_SUBJECT,
  type Opened,
} from '../../helpers/disclosures';
import { DAY, MODERATOR } from '../../helpers/membership';

describe('jobs/embargo: runEmbargoClock', () => {
  let h: Disclosures;
  let thread: Opened;

  beforeEach(async () => {
    h = new Disclosures();
    // Opened 2026-03-10 09:30 UTC, ends 2026-03-13 09:30 UTC; reminded 24 hours before.
    thread = await h.open();
  });

  it('sends nothing before the reminder window', async () => {
    h.clock.advance(2 * DAY - HOUR);
    const before = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 0 });
    assert.deepEqual(await h.sent(before), []);
    assert.equal(h.disclosure(1).lift_reminder_at, null);
  });

  it('inside the window sends one reminder to every member, in the thread', async () => {
    h.clock.advance(2 * DAY + HOUR);
    const before = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 1, lifted: 0 });
    const sent = await h.sent(before);
    assert.equal(sent.length, 1);
    const reminder = sent[0]!;
    assert.equal(reminder.purpose, 'member.notice.embargo-ending');
    assert.deepEqual([...reminder.to].sort(), MEMBERS.map((m) => m.address).sort());
    assert.equal(
      reminder.subject,
      `[EMBARGOED until 2026-03-13 09:30 UTC] [#1] Embargo ends 2026-03-13 09:30 UTC: ${OPENING_SUBJECT}`,
    );
    assert.equal(reminder.inReplyTo, thread.messageId);
    assert.ok(h.threadMessages(1).includes(reminder.messageId));
    assert.equal(h.disclosure(1).lift_reminder_at, '2026-03-12T10:30:00.000Z');
    assert.equal(h.disclosure(1).state, 'embargoed');
  });

  it('a second run inside the window sends nothing more', async () => {
    h.clock.advance(2 * DAY + HOUR);
    runEmbargoClock(h.ctx);
    h.clock.advance(HOUR);
    const before = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 0 });
    assert.deepEqual(await h.sent(before), []);
  });

  it('at the end sends the lift notice once and makes the thread public', async () => {
    h.clock.advance(2 * DAY + HOUR);
    runEmbargoClock(h.ctx);
    h.clock.set('2026-03-13T09:30:00.000Z');
    const before = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 1 });
    const d = h.disclosure(1);
    assert.deepEqual([d.state, d.lifted_by, d.lifted_at], ['public', 'clock', '2026-03-13T09:30:00.000Z']);
    const sent = await h.sent(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.subject, `[#1] Embargo lifted: ${OPENING_SUBJECT}`);
    assert.deepEqual([...sent[0]!.to].sort(), MEMBERS.map((m) => m.address).sort());
    assert.equal(sent[0]!.inReplyTo, thread.messageId);
    assert.match(sent[0]!.text, /was lifted at 2026-03-13 09:30 UTC\.\n/, 'the clock is not named as a person');

    h.clock.advance(HOUR);
    const after = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 0 });
    assert.deepEqual(await h.sent(after), []);
    assert.deepEqual(
      h
        .audit()
        .filter((a) => a.action === 'disclosure.lift')
        .map((a) => a.actor),
      ['clock'],
    );
  });

  it('lifts without a reminder when it first runs after the end', async () => {
    h.clock.advance(4 * DAY);
    const before = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 1 });
    assert.deepEqual(
      (await h.sent(before)).map((m) => m.purpose),
      ['member.notice.embargo-lifted'],
    );
  });

  it('never lifts an open-ended disclosure', async () => {
    const before = h.mark();
    await h.post({
      from: MODERATOR,
      subject: 'CVE-2026-0002: no date yet',
      body: 'We do not know the release date yet.\n',
    });
    await h.command(await h.find(MODERATOR, /Not sent/, before), 'SEND\n');
    assert.equal(h.disclosure(2).embargo_end, null);
    h.clock.advance(100 * DAY);
    runEmbargoClock(h.ctx);
    assert.equal(h.disclosure(1).state, 'public');
    assert.deepEqual([h.disclosure(2).state, h.disclosure(2).lift_reminder_at], ['embargoed', null]);
  });

  it('does not touch a thread a moderator lifted', async () => {
    await h.command(thread.opened, 'LIFT\n');
    h.clock.advance(2 * DAY + HOUR);
    const before = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 0 });
    h.clock.advance(DAY);
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 0 });
    assert.deepEqual(await h.sent(before), []);
    assert.equal(h.disclosure(1).lifted_by, MODERATOR);
  });

  it('reminds again for the new end after EMBARGO moved it, and lifts only at the new end', async () => {
    h.clock.advance(2 * DAY + HOUR);
    runEmbargoClock(h.ctx);
    await h.command(thread.opened, `EMBARGO ${isoLine(new Date('2026-03-15T09:30:00Z'))}\n`);
    assert.equal(h.disclosure(1).lift_reminder_at, null);

    h.clock.set('2026-03-13T09:30:00.000Z'); // the old end
    const atOldEnd = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 0 });
    assert.deepEqual(await h.sent(atOldEnd), []);

    h.clock.set('2026-03-14T10:00:00.000Z');
    const before = h.mark();
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 1, lifted: 0 });
    const reminders = await h.mailsTo(ALPHA.address, /Embargo ends 2026-03-15 09:30 UTC/, before);
    assert.equal(reminders.length, 1);
    assert.ok(reminders[0]!.to.includes(BETA.address));

    h.clock.set('2026-03-15T09:30:00.000Z');
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 1 });
    assert.equal(h.disclosure(1).state, 'public');
  });

  it('handles several disclosures at once, each on its own end', async () => {
    await h.open({ subject: 'CVE-2026-0002: later', end: new Date('2026-03-17T09:30:00Z') });
    h.clock.set('2026-03-13T09:30:00.000Z');
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 0, lifted: 1 });
    assert.deepEqual(
      h.disclosures().map((d) => d.state),
      ['public', 'embargoed'],
    );
    h.clock.set('2026-03-16T12:00:00.000Z');
    assert.deepEqual(runEmbargoClock(h.ctx), { reminded: 1, lifted: 0 });
  });
});
