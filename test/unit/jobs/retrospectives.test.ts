import assert from 'node:assert/strict';
import { runRetrospectives } from '../../../src/jobs/retrospectives';
import { MODERATORS } from '../../helpers/context';
import { upsertMember } from '../../../src/store/members';
import { ALPHA, BETA, Disclosures, GAMMA, HOUR, type Opened } from '../../helpers/disclosures';
import { DAY, MODERATOR, type Sent } from '../../helpers/membership';

const LINES = 'What: the patch diff\nTo whom: a contractor at vendor.example\n';

describe('jobs/retrospectives: runRetrospectives', () => {
  let h: Disclosures;
  let thread: Opened;
  let urgent: Sent;

  beforeEach(async () => {
    h = new Disclosures();
    thread = await h.open();
    const before = h.mark();
    // Reported 2026-03-10 09:30 UTC: the retrospective is due 7 days later.
    await h.post({
      from: BETA.address,
      subject: `LEAK: ${thread.copy.subject}`,
      body: LINES,
      inReplyTo: thread.messageId,
    });
    urgent = await h.find(MODERATOR, /URGENT: leak reported/, before);
  });

  it('sends nothing before the due date', async () => {
    h.clock.set('2026-03-17T09:29:00.000Z');
    const before = h.mark();
    assert.deepEqual(runRetrospectives(h.ctx), { reminded: 0 });
    assert.deepEqual(await h.sent(before), []);
  });

  it('past the due date reminds the moderators and the reporter in one mail', async () => {
    h.clock.set('2026-03-17T10:00:00.000Z');
    const before = h.mark();
    assert.deepEqual(runRetrospectives(h.ctx), { reminded: 1 });
    const sent = await h.sent(before);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.to, [...MODERATORS, BETA.address]);
    assert.equal(sent[0]!.subject, '[Example Security] Retrospective due: leak #1 on disclosure #1');
    assert.match(sent[0]!.text, /^ {2}Reported by: security@beta\.example \(Beta\), in thread #1$/m);
    assert.match(sent[0]!.text, /^ {2}Leaked by: {3}security@beta\.example \(Beta\): the reporter's own leak$/m);
    assert.match(sent[0]!.text, /was due at 2026-03-17 09:30 UTC and is still open/);
    assert.match(sent[0]!.text, /What: the patch diff/);
    assert.equal(h.leaks()[0]!.retro_reminded_at, '2026-03-17T10:00:00.000Z');
  });

  it('reminds again only after a day', async () => {
    h.clock.set('2026-03-17T10:00:00.000Z');
    runRetrospectives(h.ctx);
    h.clock.advance(23 * HOUR);
    const before = h.mark();
    assert.deepEqual(runRetrospectives(h.ctx), { reminded: 0 });
    assert.deepEqual(await h.sent(before), []);
    h.clock.advance(HOUR);
    assert.deepEqual(runRetrospectives(h.ctx), { reminded: 1 });
    assert.equal((await h.mailsTo(BETA.address, /Retrospective due/, before)).length, 1);
  });

  it('never reminds after RETRO', async () => {
    h.clock.set('2026-03-17T10:00:00.000Z');
    runRetrospectives(h.ctx);
    await h.command(urgent, 'RETRO Forwarding is off now\n');
    const before = h.mark();
    for (let day = 1; day <= 5; day += 1) {
      h.clock.advance(DAY);
      assert.deepEqual(runRetrospectives(h.ctx), { reminded: 0 });
    }
    assert.deepEqual(await h.sent(before), []);
  });

  it('an overdue retrospective can still be closed by RETRO weeks later, which ends the reminders', async () => {
    // The reminders go on daily and carry no token; the urgent mail's token is the only way to close it.
    h.clock.set('2026-04-20T10:00:00.000Z');
    runRetrospectives(h.ctx);
    const before = h.mark();
    await h.command(urgent, 'RETRO Forwarding is off now\n');
    // Today the leak token expired 37 days after the report: "Your reply came too late", and the
    // retrospective stays open with a reminder to the moderators and the reporter every day, for ever.
    assert.equal(
      h.leaks()[0]!.retro_summary,
      'Forwarding is off now',
      (await h.sent(before)).map((m) => m.subject).join(' | '),
    );
    h.clock.advance(DAY);
    assert.deepEqual(runRetrospectives(h.ctx), { reminded: 0 });
  });

  it('never reminds a retrospective closed before its due date', async () => {
    await h.command(urgent, 'RETRO Closed early\n');
    h.clock.set('2026-03-20T10:00:00.000Z');
    assert.deepEqual(runRetrospectives(h.ctx), { reminded: 0 });
  });

  it('reminds each open leak on its own', async () => {
    h.clock.advance(2 * DAY);
    await h.post({
      from: GAMMA.address,
      subject: `LEAK: ${thread.copy.subject}`,
      body: LINES,
      inReplyTo: thread.messageId,
    });
    h.clock.set('2026-03-17T10:00:00.000Z');
    assert.deepEqual(runRetrospectives(h.ctx), { reminded: 1 });
    h.clock.set('2026-03-19T10:00:00.000Z');
    const before = h.mark();
    assert.deepEqual(runRetrospectives(h.ctx), { reminded: 2 });
    assert.deepEqual((await h.sent(before)).map((m) => m.subject).sort(), [
      '[Example Security] Retrospective due: leak #1 on disclosure #1',
      '[Example Security] Retrospective due: leak #2 on disclosure #1',
    ]);
  });

  it('names the reporter and the member it names apart, and reminds the reporter, not the named member', async () => {
    await h.post({
      from: GAMMA.address,
      subject: `LEAK: ${thread.copy.subject}`,
      body: `Leaked by: ${ALPHA.address}\n${LINES}`,
      inReplyTo: thread.messageId,
    });
    h.clock.set('2026-03-17T10:00:00.000Z');
    const before = h.mark();
    runRetrospectives(h.ctx);
    const due = (await h.sent(before)).find((m) => /leak #2/.test(m.subject))!;
    assert.deepEqual(due.to, [...MODERATORS, GAMMA.address]);
    assert.match(due.text, /^ {2}Reported by: secure@gamma\.example \(Gamma\), in thread #1$/m);
    assert.match(due.text, /^ {2}Leaked by: {3}psirt@alpha\.example \(Alpha\), as the reporter names it$/m);
  });

  it('says a leak is attributed to nobody when its name matched several members, naming no one of them as leaker', async () => {
    upsertMember(h.ctx.db, 'security@newcomer.example', 'beta ', h.clock.now().toISOString());
    await h.post({
      from: GAMMA.address,
      subject: `LEAK: ${thread.copy.subject}`,
      body: `Leaked by: Beta\n${LINES}`,
      inReplyTo: thread.messageId,
    });
    h.clock.set('2026-03-17T10:00:00.000Z');
    const before = h.mark();
    runRetrospectives(h.ctx);
    const due = (await h.sent(before)).find((m) => /leak #2/.test(m.subject))!;
    assert.match(due.text, /^ {2}Leaked by: {3}not attributed to a member: "Beta" matches more than one$/m);
    assert.doesNotMatch(due.text, /Leaked by: {3}security@/);
  });
});
