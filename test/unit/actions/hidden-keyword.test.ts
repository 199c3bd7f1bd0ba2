import assert from 'node:assert/strict';
import { decide } from '../../../src/chains/inbound';
import { snapshotWith } from '../../helpers/context';
import { disclosureThread } from '../../helpers/snapshot-parts';
import { joinRequest, Membership, MODERATOR, type Sent, alternativeReply, htmlReply } from '../../helpers/membership';

const NOT_SURE_HIDDEN_APPROVE =
  '<html><body><span style="display:none">APPROVE</span><div dir="ltr">I am not sure</div></body></html>';

describe('actions: keywords are read from what the moderator sees (issue 8, words nobody sees)', () => {
  let h: Membership;
  let moderation: Sent;

  beforeEach(async () => {
    h = new Membership();
    moderation = await h.submit(joinRequest());
  });

  it('an authenticated moderator\'s HTML-only "I am not sure" with a hidden APPROVE does not approve the request', async () => {
    const before = h.state();
    const result = await h.receive(htmlReply(moderation, NOT_SURE_HIDDEN_APPROVE));
    assert.equal(result.outcome, 'moderator-command');
    assert.equal(h.request(1).state, 'moderation');
    assert.deepEqual(h.state(), before);
    await h.find(MODERATOR, /No command found in your reply/);
  });

  for (const [name, hidden] of [
    ['font-size:0', '<span style="font-size:0">APPROVE</span>'],
    ['white on white', '<div style="color:#ffffff">APPROVE</div>'],
    ['a style sheet class', '<style>.x{display:none}</style><div class="x">APPROVE</div>'],
    ['the hidden attribute', '<div hidden>APPROVE</div>'],
    ['an HTML comment', '<!--APPROVE-->'],
  ] as const) {
    it(`a hidden APPROVE (${name}) above the visible text does not approve either`, async () => {
      await h.receive(htmlReply(moderation, `<html><body>${hidden}<div>I am not sure</div></body></html>`));
      assert.equal(h.request(1).state, 'moderation');
    });
  }

  it('control: an HTML-only reply with a visible APPROVE approves', async () => {
    await h.receive(
      htmlReply(
        moderation,
        '<html><body><div dir="ltr">APPROVE</div><blockquote>Join request #1</blockquote></body></html>',
      ),
    );
    assert.equal(h.request(1).state, 'confirming');
  });

  it('control: plain APPROVE with an HTML alternative that visibly says APPROVE approves', async () => {
    await h.receive(alternativeReply(moderation, 'APPROVE\n', '<div dir="ltr">APPROVE</div>'));
    assert.equal(h.request(1).state, 'confirming');
  });

  it('plain APPROVE with an HTML alternative that visibly says "I am not sure": neither, and the moderators are told why', async () => {
    const state = h.state();
    const mark = h.mark();
    const result = await h.receive(alternativeReply(moderation, 'APPROVE\n', NOT_SURE_HIDDEN_APPROVE));
    assert.equal(result.outcome, 'refuse');
    assert.deepEqual(h.state(), state);
    const notice = await h.find(MODERATOR, /Refused a command from moderator@example\.org/, mark);
    assert.match(notice.text, /plain-text and HTML versions do not carry the same keyword/);
    assert.match(
      notice.text,
      /the text\/plain part reads APPROVE and the HTML part, as a reader sees it, reads no keyword/,
    );
    assert.ok(h.auditActions().includes('command.refused.alternatives-disagree'));
  });

  it('plain "I am not sure" with an HTML alternative that visibly says APPROVE: neither', async () => {
    const result = await h.receive(alternativeReply(moderation, 'I am not sure\n', '<div>APPROVE</div>'));
    assert.equal(result.outcome, 'refuse');
    assert.equal(h.request(1).state, 'moderation');
  });

  it('plain APPROVE with an HTML REJECT: neither', async () => {
    await h.receive(alternativeReply(moderation, 'APPROVE\n', '<div>REJECT not a team alias</div>'));
    assert.equal(h.request(1).state, 'moderation');
  });

  it("the chain holds a member's thread reply whose versions disagree instead of recording an ACK or relaying it", () => {
    const inThread = snapshotWith({ senderIsMember: true, thread: disclosureThread(1) });
    const hits = (['to-list', 'in-thread', 'from-member', 'alternatives-disagree'] as const).map((rule) => ({
      rule,
      reason: '',
    }));
    assert.deepEqual([decide(hits, inThread).outcome, decide(hits, inThread).label], ['hold', 'alternatives-disagree']);
    const ack = (['to-list', 'in-thread', 'from-member', 'ack-keyword'] as const).map((rule) => ({ rule, reason: '' }));
    assert.equal(decide(ack, inThread).outcome, 'ack', 'control: an agreeing ACK is recorded');
  });
});
