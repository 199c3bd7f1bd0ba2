/**
 * A disclosure whose embargo end is readable but not certain ("around 15:00 UTC"), through
 * processRaw as the daemon runs it: not opened, returned to the moderator with the reading in UTC
 * and in words and the EMBARGO line to send back; that one reply opens it at that end.
 * Mirrors the returned-post tests of open-disclosure.test.ts.
 */
import assert from 'node:assert/strict';
import { ALPHA, Disclosures, MEMBERS, OPENING_SUBJECT, OPENING_TEXT } from '../../helpers/disclosures';
import { MODERATOR, type Sent } from '../../helpers/membership';

describe('actions/open-disclosure: an embargo end to confirm (issue 13)', () => {
  let h: Disclosures;

  beforeEach(() => {
    h = new Disclosures();
  });

  /** "2026-03-13": the harness's day three days ahead. */
  const dayIn3 = (): string =>
    h
      .at(3 * 86_400_000)
      .toISOString()
      .slice(0, 10);

  async function post(body: string): Promise<{ outcome: string | undefined; returned: Sent[] }> {
    const before = h.mark();
    const result = await h.post({ from: MODERATOR, subject: OPENING_SUBJECT, body });
    return { outcome: result.outcome, returned: await h.mailsTo(MODERATOR, /Not sent/, before) };
  }

  it('returns "around 15:00 UTC" unopened, with the reading and the EMBARGO line written out', async () => {
    const day = dayIn3();
    const { outcome, returned } = await post(`The embargo ends on ${day} around 15:00 UTC.\n${OPENING_TEXT}\n`);
    assert.equal(outcome, 'open-disclosure');
    assert.equal(h.disclosures().length, 0, 'nothing opened');
    assert.equal(
      (await h.sent()).filter((m) => MEMBERS.some((x) => m.to.includes(x.address))).length,
      0,
      'no member got anything',
    );
    assert.equal(returned.length, 1);
    const mail = returned[0]!;
    assert.deepEqual(mail.to, [MODERATOR]);
    assert.match(mail.subject, new RegExp(`Not sent, embargo end to confirm: ${OPENING_SUBJECT}`));
    assert.match(mail.text, /its embargo end\s+is not certain/);
    assert.match(mail.text, new RegExp(`The line: +The embargo ends on ${day} around 15:00 UTC\\.`));
    assert.match(mail.text, /Why: +it gives an approximate time \("around 15:00 UTC"\)/);
    assert.match(mail.text, new RegExp(`Read as: +${day} 15:00 UTC`));
    assert.match(
      mail.text,
      /\((?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d+ \w+ \d{4}, 15:00 UTC\)/,
    );
    assert.match(mail.text, new RegExp(`^ {2}EMBARGO ${day}T15:00Z$`, 'm'));
    const token = h.token(mail.token!)!;
    assert.equal(token.purpose, 'send');
    const held = JSON.parse(token.detail!) as { problem: string; end: string | null };
    assert.deepEqual([held.problem, held.end], ['EMBARGO_PROPOSED', null], 'the proposal is no end until confirmed');
    const audit = h.audit().find((a) => a.action === 'disclosure.returned')!;
    assert.deepEqual(JSON.parse(audit.detail!), { problem: 'EMBARGO_PROPOSED', proposal: `${day}T15:00:00.000Z` });
  });

  it("opens it at that end on the moderator's one reply with the written-out EMBARGO line", async () => {
    const day = dayIn3();
    const { returned } = await post(`Embargo: ${day} between 13:00-15:00 UTC\n${OPENING_TEXT}\n`);
    const line = /^ {2}(EMBARGO \S+)$/m.exec(returned[0]!.text)![1]!;
    assert.equal(line, `EMBARGO ${day}T15:00Z`);
    const before = h.mark();
    const result = await h.command(returned[0]!, `${line}\n`);
    assert.equal(result.outcome, 'moderator-command');
    const d = h.disclosure(1);
    assert.deepEqual([d.embargo_end, d.state, d.opened_by], [`${day}T15:00:00.000Z`, 'embargoed', MODERATOR]);
    const copy = await h.find(ALPHA.address, /\[#1\]/, before);
    assert.equal(copy.subject, `[EMBARGOED until ${day} 15:00 UTC] [#1] ${OPENING_SUBJECT}`);
    assert.ok(copy.text.includes(OPENING_TEXT));
    await h.find(MODERATOR, /Disclosure #1 opened/, before);
  });

  it('SEND opens it with no end, never at the proposed one', async () => {
    const { returned } = await post(`Embargo: ${dayIn3()} around 15:00 UTC\n${OPENING_TEXT}\n`);
    await h.command(returned[0]!, 'SEND\n');
    assert.equal(h.disclosure(1).embargo_end, null);
  });

  it('opens a clear end at once, as before', async () => {
    const day = dayIn3();
    const before = h.mark();
    await h.post({
      from: MODERATOR,
      subject: OPENING_SUBJECT,
      body: `Coordinated Release Date (CRD): ${day} 15:00 UTC\n${OPENING_TEXT}\n`,
    });
    assert.equal(h.disclosure(1).embargo_end, `${day}T15:00:00.000Z`);
    await h.find(MODERATOR, /Disclosure #1 opened/, before);
  });
});
