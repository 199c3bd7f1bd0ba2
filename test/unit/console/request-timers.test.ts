import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildConsole } from '../../../src/console/server';
import { runExpiry } from '../../../src/jobs/expiry';
import { collectStatus } from '../../../src/store/status';
import { MODERATORS, trustedAuthConfig } from '../../helpers/context';
import { DAY, MODERATOR, Membership, joinRequest } from '../../helpers/membership';
import { consoleDb, signedIn, withPassword } from './helpers';

const ESCALATION = 'steering@example.org';
const WITH_ESCALATION = `${trustedAuthConfig()}\nlist:\n  name: Example Security\n  address: security@lists.example.org\n  requestsAddress: security-requests@lists.example.org\n  moderators: [${MODERATORS.join(', ')}]\n  escalation: ${ESCALATION}\n`;
const MINUTE = 60_000;

const BOB = joinRequest({
  from: 'bob@other.example',
  organization: 'Other-Corp',
  alias: 'security@other.example',
});
const CAROL = joinRequest({
  from: 'carol@third.example',
  organization: 'Third-Corp',
  alias: 'security@third.example',
});

/** One request's card on the page. */
function card(page: string, id: number): string {
  const found = new RegExp(`<section class="card" id="request-${id}">[\\s\\S]*?</section>`).exec(page)?.[0];
  assert.ok(found, `request #${id} is on the page`);
  return found;
}

/** The text of the span of this class in `html`, or undefined. */
function span(html: string, cls: string): string | undefined {
  return new RegExp(`<span class="${cls}">([^<]*)</span>`).exec(html)?.[1];
}

/** The summary line's numbers: waiting, past the reminder, past the escalation. */
function summary(page: string): { waiting: number; pastReminder: number; pastEscalation: number } {
  if (page.includes('None waits for a moderator')) return { waiting: 0, pastReminder: 0, pastEscalation: 0 };
  const n = (cls: string) => Number(new RegExp(`<strong class="${cls}">(\\d+)</strong>`).exec(page)?.[1] ?? NaN);
  return {
    waiting: n('waiting-count'),
    pastReminder: n('past-reminder-count'),
    pastEscalation: n('past-escalation-count'),
  };
}

const REMINDER_MARK = /<span class="late">past the reminder threshold \((\d+) d\)<\/span>/g;
const ESCALATION_MARK = /<span class="late escalation">past the escalation threshold \((\d+) d\)<\/span>/g;

describe('console: the request timers on the requests page', () => {
  let m: Membership;
  let app: FastifyInstance;

  async function start(config: string): Promise<void> {
    m = new Membership(config, { db: consoleDb() });
    withPassword(m.ctx.db, MODERATOR);
    app = buildConsole(m.ctx, { secureCookies: false });
  }
  afterEach(() => app?.close());

  /**
   * The page, checked against the numbers of the status command at the same moment. Signed in
   * afresh each time: a session lasts console.sessionHours on the clock the test moves.
   */
  async function page(): Promise<string> {
    const res = await (await signedIn(app, MODERATOR)).get('/requests');
    assert.equal(res.status, 200);
    const { requests } = collectStatus(m.ctx.db, m.clock.now(), {
      requestTimers: {
        reminderDays: m.ctx.config.policy.requestReminderDays,
        escalationDays: m.ctx.config.policy.requestEscalationDays,
      },
    });
    assert.deepEqual(summary(res.body), {
      waiting: requests.waiting,
      pastReminder: requests.pastReminder,
      pastEscalation: requests.pastEscalation,
    });
    // Each request past the escalation carries that mark, the others past the reminder theirs.
    const escalationMarks = [...res.body.matchAll(ESCALATION_MARK)].length;
    const reminderMarks = [...res.body.matchAll(REMINDER_MARK)].length;
    assert.equal(escalationMarks, requests.pastEscalation);
    assert.equal(reminderMarks + escalationMarks, requests.pastReminder);
    return res.body;
  }

  it('shows each wait, reminder and escalation as the clock moves, with the status numbers on top', async () => {
    await start(WITH_ESCALATION);
    await m.submit(); // #1, 2026-03-10 09:30 UTC
    // #2, approved: it waits for its alias's confirmation, not for the moderators.
    await m.command(await m.submit(BOB), 'APPROVE\n');
    m.clock.advance(3 * DAY + MINUTE);
    await m.submit(CAROL); // #3, 2026-03-13 09:31 UTC

    // Past the reminder threshold, before the expiry clock has run.
    let body = await page();
    assert.deepEqual(summary(body), { waiting: 2, pastReminder: 1, pastEscalation: 0 });
    assert.match(body, /3 open requests/);
    assert.match(
      body,
      /Oldest: <a href="#request-1">#1<\/a>, waiting <strong class="oldest-waited">3 d<\/strong> \(since 2026-03-10 09:30 UTC\)/,
    );
    assert.match(body, /past the reminder \(3 d\)/);
    assert.match(body, /past the escalation \(7 d\)/);
    let first = card(body, 1);
    assert.match(first, /waited <strong>3 d<\/strong>/);
    assert.match(first, /<span class="late">past the reminder threshold \(3 d\)<\/span>/);
    assert.equal(span(first, 'reminded'), 'due since 2026-03-13 09:30 UTC (1 min ago), sent at the next expiry run');
    assert.equal(span(first, 'escalated'), `not yet, due 2026-03-17 09:30 UTC (in 3 d 23 h), to ${ESCALATION}`);
    assert.equal(span(first, 'told'), undefined, 'the applicant has not been told yet');
    const third = card(body, 3);
    assert.match(third, /waited <strong>0 min<\/strong>/);
    assert.doesNotMatch(third, /class="late/);
    assert.equal(span(third, 'reminded'), 'not yet, due 2026-03-16 09:31 UTC (in 3 d)');
    const second = card(body, 2);
    assert.match(second, /<span class="state">confirming<\/span>/);
    assert.doesNotMatch(second, /class="late/, 'no mark on a request that waits for its applicant');
    assert.match(second, /Timers \(stopped: not before the moderators\)/);
    assert.equal(span(second, 'reminded'), 'no');

    // The clock reminds the moderators and tells the applicant.
    assert.equal(runExpiry(m.ctx).requestsReminded, 1);
    first = card(await page(), 1);
    assert.equal(span(first, 'reminded'), '2026-03-13 09:31 UTC (0 min ago)');
    assert.equal(span(first, 'told'), '2026-03-13 09:31 UTC (0 min ago)');
    assert.match(
      first,
      /<span class="late">past the reminder threshold \(3 d\)<\/span>/,
      'still past it, reminded or not',
    );

    // Past the escalation threshold: the mark changes, and the escalation is due.
    m.clock.advance(4 * DAY);
    body = await page();
    assert.deepEqual(summary(body), { waiting: 2, pastReminder: 2, pastEscalation: 1 });
    assert.match(body, /Oldest: <a href="#request-1">#1<\/a>, waiting <strong class="oldest-waited">7 d<\/strong>/);
    first = card(body, 1);
    assert.match(first, /<span class="late escalation">past the escalation threshold \(7 d\)<\/span>/);
    assert.doesNotMatch(first, /past the reminder threshold/, 'one mark, the stronger');
    assert.equal(
      span(first, 'escalated'),
      `due since 2026-03-17 09:30 UTC (1 min ago), sent to ${ESCALATION} at the next expiry run`,
    );
    assert.match(card(body, 3), /<span class="late">past the reminder threshold \(3 d\)<\/span>/);

    assert.equal(runExpiry(m.ctx).requestsEscalated, 1);
    first = card(await page(), 1);
    assert.equal(span(first, 'escalated'), '2026-03-17 09:31 UTC (0 min ago)');
    assert.equal(span(first, 'reminded'), '2026-03-13 09:31 UTC (4 d ago)');
    assert.equal(span(card(await page(), 3), 'reminded'), '2026-03-17 09:31 UTC (0 min ago)');
  });

  it('uses the configured days, and says a request is never escalated without list.escalation', async () => {
    await start(`${trustedAuthConfig()}\npolicy: { requestReminderDays: 1, requestEscalationDays: 2 }\n`);
    await m.submit();
    m.clock.advance(DAY - MINUTE);
    let body = await page();
    assert.deepEqual(summary(body), { waiting: 1, pastReminder: 0, pastEscalation: 0 });
    assert.doesNotMatch(card(body, 1), /class="late/);
    assert.equal(span(card(body, 1), 'reminded'), 'not yet, due 2026-03-11 09:30 UTC (in 1 min)');
    assert.equal(span(card(body, 1), 'escalated'), 'never: list.escalation is not set');

    m.clock.advance(DAY + 2 * MINUTE);
    body = await page();
    assert.deepEqual(summary(body), { waiting: 1, pastReminder: 1, pastEscalation: 1 });
    assert.match(body, /past the reminder \(1 d\)/);
    assert.match(card(body, 1), /past the escalation threshold \(2 d\)/);
    runExpiry(m.ctx);
    assert.equal(span(card(await page(), 1), 'escalated'), 'never: list.escalation is not set');
  });

  it('says so when no request waits for a decision', async () => {
    await start(trustedAuthConfig());
    const body = await page();
    assert.match(body, /None waits for a moderator's decision \(reminder after 3 d, escalation after 7 d\)/);
    assert.doesNotMatch(body, /waiting-count|class="late/);
  });
});
