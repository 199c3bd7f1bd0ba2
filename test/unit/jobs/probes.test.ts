/**
 * Alias liveness: probes go out when due, once; an answer is recorded (ACCEPT re-affirms the
 * policy); an unanswered probe is reported to the moderators by the expiry clock, once.
 */
import assert from 'node:assert/strict';
import { runExpiry } from '../../../src/jobs/expiry';
import { runProbes } from '../../../src/jobs/probes';
import { findMember } from '../../../src/store/members';
import { makeMessage } from '../../helpers/mail-factory';
import { REQUESTS_ADDRESS } from '../../helpers/context';
import { ALPHA, BETA, Disclosures } from '../../helpers/disclosures';
import { DAY, MODERATOR } from '../../helpers/membership';

function probeReply(
  h: Disclosures,
  from: string,
  to: { messageId: string; subject: string },
  body: string,
  headers: Record<string, string> = {},
) {
  return h.receive(
    makeMessage({
      from,
      to: REQUESTS_ADDRESS,
      subject: `Re: ${to.subject}`,
      inReplyTo: to.messageId,
      references: [to.messageId],
      body,
      headers,
    }),
  );
}

describe('jobs/probes (alias liveness)', () => {
  it('probes nobody before probeDays, then each active member once, with a token', async () => {
    const h = new Disclosures('probeDays: 30, probeGraceDays: 5');
    assert.deepEqual(runProbes(h.ctx), { probed: 0 });
    h.clock.advance(31 * DAY);
    const before = h.mark();
    assert.deepEqual(runProbes(h.ctx), { probed: 3 });
    assert.deepEqual(runProbes(h.ctx), { probed: 0 }, 'not twice');
    const probe = await h.find(ALPHA.address, /Is psirt@alpha\.example still read\?/, before);
    assert.match(probe.messageId, /tk-[a-z2-7]{26}@/);
  });

  it("records a person's answer, and ACCEPT as a re-affirmation of the embargo policy; nothing is sent back", async () => {
    const h = new Disclosures('probeDays: 30, probeGraceDays: 5');
    h.clock.advance(31 * DAY);
    const before = h.mark();
    runProbes(h.ctx);
    const probe = await h.find(ALPHA.address, /still read/, before);
    const after = h.mark();
    const result = await probeReply(h, 'someone@alpha.example', probe, 'ACCEPT\n\nStill here.\n');
    assert.equal(result.outcome, 'confirmation');
    const member = findMember(h.ctx.db, ALPHA.address)!;
    assert.notEqual(member.probe_answered_at, null);
    assert.notEqual(member.policy_affirmed_at, null);
    assert.deepEqual(await h.sent(after), []);
    h.clock.advance(6 * DAY);
    const result2 = runExpiry(h.ctx);
    assert.equal(result2.probesUnanswered, 2, 'beta and gamma did not answer; alpha did');
  });

  it('never counts an out-of-office answer, and reports the unanswered probe to the moderators once', async () => {
    const h = new Disclosures('probeDays: 30, probeGraceDays: 5');
    h.clock.advance(31 * DAY);
    const before = h.mark();
    runProbes(h.ctx);
    const probe = await h.find(BETA.address, /still read/, before);
    assert.equal(
      (await probeReply(h, BETA.address, probe, 'I am away.\n', { 'Auto-Submitted': 'auto-replied' })).outcome,
      'discard',
    );
    h.clock.advance(6 * DAY);
    const mark = h.mark();
    assert.equal(runExpiry(h.ctx).probesUnanswered, 3);
    const notice = await h.find(MODERATOR, /Probe unanswered: security@beta\.example \(Beta\)/, mark);
    assert.match(notice.text, /REMOVE security@beta\.example/);
    assert.equal(runExpiry(h.ctx).probesUnanswered, 0, 'once');
  });
});
