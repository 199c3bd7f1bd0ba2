import assert from 'node:assert/strict';
import { moderatorAction, type Actor, type ModeratorAction } from '../../../src/admin/moderator-action';
import { Disclosures, ALPHA } from '../../helpers/disclosures';
import { APPLICANT, MODERATOR, Membership, type Sent } from '../../helpers/membership';

/**
 * The keyword by mail and the same action on the server, side by side on two lists that saw the
 * same mail: the state, the mails and the audit rows must come out the same. The actor on the
 * server is the moderator's address (as the console gives it), so that the rows can be compared.
 */
const CONSOLE: Actor = { name: MODERATOR, via: 'console' };

/** A mail as the recipients read it, with its random token masked. */
const mail = (m: Sent) => ({
  purpose: m.purpose,
  to: m.to,
  subject: m.subject.replace(/tk-[a-z2-7]{26}/g, 'tk-TOKEN'),
  text: m.text.replace(/[a-z2-7]{26}/g, 'TOKEN'),
});

type Harness = Membership;
/** A row without the Message-IDs the two lists' generated mails differ in. */
const row = <T extends object>(r: T) => Object.fromEntries(Object.entries(r).filter(([k]) => !/message_id$/.test(k)));
const auditSince = (h: Harness, n: number) =>
  h
    .audit()
    .slice(n)
    .map((a) => {
      const detail = a.detail === null ? null : (JSON.parse(a.detail) as Record<string, unknown>);
      return { ...a, detail };
    });

/** Runs `byMail` on one harness and `onServer` on the other; returns what each changed and sent. */
async function compare<H extends Harness>(
  make: () => Promise<[H, Sent]>,
  byMail: (h: H, about: Sent) => Promise<unknown>,
  onServer: (h: H) => ReturnType<typeof moderatorAction>,
) {
  const [a, aboutA] = await make();
  const [b] = await make();
  const [auditA, auditB, markA, markB] = [a.audit().length, b.audit().length, a.mark(), b.mark()];
  await byMail(a, aboutA);
  const outcome = onServer(b);
  const viaMail = { mails: (await a.sent(markA)).map(mail), audit: auditSince(a, auditA) };
  const viaServer = { mails: (await b.sent(markB)).map(mail), audit: auditSince(b, auditB) };
  return { a, b, outcome, viaMail, viaServer };
}

/** The server's audit rows are the mail's plus { via }. */
function withoutVia(rows: ReturnType<typeof auditSince>) {
  return rows.map((r) => {
    assert.equal(r.detail?.via, 'console', `${r.action} says where it came from`);
    const { via: _via, ...rest } = r.detail!;
    return { ...r, detail: Object.keys(rest).length ? rest : null };
  });
}

describe('admin/moderator-action: every keyword on the server', () => {
  describe('requests: the same as APPROVE, REJECT, ASK by mail', () => {
    const make = async (): Promise<[Membership, Sent]> => {
      const h = new Membership();
      return [h, await h.submit()];
    };
    const cases: { verb: 'approve' | 'reject' | 'ask'; keyword: string; text: string | null; state: string }[] = [
      { verb: 'approve', keyword: 'APPROVE', text: null, state: 'confirming' },
      { verb: 'reject', keyword: 'REJECT Not a redistributor.', text: 'Not a redistributor.', state: 'rejected' },
      { verb: 'ask', keyword: 'ASK Which products ship it?', text: 'Which products ship it?', state: 'asked' },
    ];
    for (const c of cases) {
      it(`${c.verb}: same request row, history, mails and audit rows`, async () => {
        const { a, b, outcome, viaMail, viaServer } = await compare(
          make,
          (h, about) => h.command(about, `${c.keyword}\n`),
          (h) => moderatorAction(h.ctx, CONSOLE, { kind: 'request', verb: c.verb, requestId: 1, text: c.text }),
        );
        assert.equal(outcome.ok, true, outcome.message);
        assert.equal(outcome.code, null);
        assert.equal(
          outcome.copies,
          viaServer.mails.reduce((n, m) => n + m.to.length, 0),
        );
        assert.equal(b.request(1).state, c.state);
        assert.deepEqual(row(b.request(1)), row(a.request(1)));
        assert.deepEqual(
          b.events(1).map((e) => [e.actor, e.kind, e.text]),
          a.events(1).map((e) => [e.actor, e.kind, e.text]),
        );
        assert.ok(viaMail.mails.length > 0);
        assert.deepEqual(viaServer.mails, viaMail.mails);
        assert.deepEqual(withoutVia(viaServer.audit), viaMail.audit);
        assert.deepEqual(
          b.tokens().map((t) => [t.purpose, t.request_id, t.used_by]),
          a.tokens().map((t) => [t.purpose, t.request_id, t.used_by]),
        );
      });
    }

    it('refuses a request already decided, naming who decided and when, and changes nothing', async () => {
      const [h, about] = await make();
      await h.command(about, 'REJECT No.\n');
      const before = h.state();
      const mark = h.mark();
      const outcome = moderatorAction(h.ctx, CONSOLE, { kind: 'request', verb: 'approve', requestId: 1, text: null });
      assert.deepEqual([outcome.ok, outcome.code, outcome.copies], [false, 'ALREADY_DECIDED', 0]);
      assert.equal(outcome.message, `request #1 was already rejected by ${MODERATOR} at 2026-03-10T09:30:00.000Z: No.`);
      assert.deepEqual(h.state(), before);
      assert.deepEqual(await h.sent(mark), []);
      assert.equal(h.auditActions().at(-1), 'command.stale');
    });

    it('refuses what the keyword refuses (ASK without a question), and mails nobody', async () => {
      const [h] = await make();
      const before = h.state();
      const mark = h.mark();
      const outcome = moderatorAction(h.ctx, CONSOLE, { kind: 'request', verb: 'ask', requestId: 1, text: '  ' });
      assert.deepEqual([outcome.ok, outcome.code], [false, 'ARGUMENT_MISSING']);
      assert.match(outcome.message, /^request #1: ASK needs the question/);
      assert.deepEqual(h.state(), before);
      assert.deepEqual(await h.sent(mark), []);
    });

    it('refuses a request that does not exist', async () => {
      const [h] = await make();
      const outcome = moderatorAction(h.ctx, CONSOLE, { kind: 'request', verb: 'reject', requestId: 9, text: null });
      assert.deepEqual([outcome.ok, outcome.code], [false, 'REQUEST_NOT_FOUND']);
    });

    it('wakes the outbox after the commit, once, only when mail was queued', async () => {
      let woken = 0;
      const h = new Membership(undefined, { outboxChanged: () => (woken += 1) });
      await h.submit();
      woken = 0;
      moderatorAction(h.ctx, CONSOLE, { kind: 'request', verb: 'approve', requestId: 1, text: null });
      assert.equal(woken, 1);
      moderatorAction(h.ctx, CONSOLE, { kind: 'request', verb: 'approve', requestId: 1, text: null });
      assert.equal(woken, 1, 'a refusal queues nothing');
    });
  });

  describe('disclosures: the same as LIFT and EMBARGO by mail', () => {
    const make = async (): Promise<[Disclosures, Sent]> => {
      const h = new Disclosures();
      return [h, (await h.open()).opened];
    };
    const server = (verb: 'lift' | 'embargo', text: string | null): ModeratorAction => ({
      kind: 'disclosure',
      verb,
      disclosureId: 1,
      text,
    });

    it('lift: the thread public, the members and moderators told, the same audit rows', async () => {
      const { a, b, outcome, viaMail, viaServer } = await compare(
        make,
        (h, opened) => h.command(opened, 'LIFT\n'),
        (h) => moderatorAction(h.ctx, CONSOLE, server('lift', null)),
      );
      assert.equal(outcome.ok, true, outcome.message);
      assert.equal(b.disclosure(1).state, 'public');
      assert.deepEqual(row(b.disclosure(1)), row(a.disclosure(1)));
      assert.ok(viaServer.mails.some((m) => m.to.includes(ALPHA.address)));
      assert.deepEqual(viaServer.mails, viaMail.mails);
      assert.deepEqual(withoutVia(viaServer.audit), viaMail.audit);
    });

    it('embargo: the date read by the same reader, the same mails', async () => {
      const { a, b, outcome, viaMail, viaServer } = await compare(
        make,
        (h, opened) => h.command(opened, 'EMBARGO 2026-03-15 12:00 UTC\n'),
        (h) => moderatorAction(h.ctx, CONSOLE, server('embargo', '2026-03-15 12:00 UTC')),
      );
      assert.equal(outcome.ok, true, outcome.message);
      assert.equal(b.disclosure(1).embargo_end, '2026-03-15T12:00:00.000Z');
      assert.deepEqual(row(b.disclosure(1)), row(a.disclosure(1)));
      assert.deepEqual(viaServer.mails, viaMail.mails);
      assert.deepEqual(withoutVia(viaServer.audit), viaMail.audit);
    });

    it('refuses LIFT of a lifted thread, an unreadable or a too distant end, with the codes of the date reader', async () => {
      const [h] = await make();
      assert.equal(moderatorAction(h.ctx, CONSOLE, server('lift', null)).ok, true);
      const mark = h.mark();
      const again = moderatorAction(h.ctx, CONSOLE, server('lift', null));
      assert.deepEqual([again.ok, again.code], [false, 'ALREADY_PUBLIC']);
      assert.match(again.message, /disclosure #1 is already public \(lifted at 2026-03-10T09:30:00\.000Z\)/);
      assert.deepEqual(await h.sent(mark), []);

      const [h2] = await make();
      const unreadable = moderatorAction(h2.ctx, CONSOLE, server('embargo', 'next blue moon'));
      assert.deepEqual([unreadable.ok, unreadable.code], [false, 'EMBARGO_UNREADABLE']);
      const far = moderatorAction(h2.ctx, CONSOLE, server('embargo', '2027-01-01 00:00 UTC'));
      assert.deepEqual([far.ok, far.code], [false, 'EMBARGO_TOO_FAR']);
      assert.equal(h2.disclosure(1).embargo_end, h2.disclosure(1).embargo_end);
      assert.equal(h2.disclosure(1).state, 'embargoed');
    });
  });

  describe('members and held messages', () => {
    it('remove: the member removed with notice, audited member.remove by the actor, via the console', async () => {
      const h = new Disclosures();
      const mark = h.mark();
      const outcome = moderatorAction(h.ctx, CONSOLE, {
        kind: 'member',
        verb: 'remove',
        address: ALPHA.address,
        text: 'left the project',
      });
      assert.equal(outcome.ok, true, outcome.message);
      assert.equal(h.member(ALPHA.address)!.status, 'removed');
      assert.deepEqual(
        (await h.sent(mark)).map((m) => m.purpose),
        ['member.notice.removed', 'moderator.notice.member-removed'],
      );
      const row = h.audit().at(-1)!;
      assert.deepEqual(
        [row.actor, row.action, JSON.parse(row.detail!)],
        [MODERATOR, 'member.remove', { reason: 'left the project', via: 'console' }],
      );
      const again = moderatorAction(h.ctx, CONSOLE, {
        kind: 'member',
        verb: 'remove',
        address: ALPHA.address,
        text: null,
      });
      assert.deepEqual([again.ok, again.code], [false, 'MEMBER_NOT_ACTIVE']);
      const nobody = moderatorAction(h.ctx, CONSOLE, {
        kind: 'member',
        verb: 'remove',
        address: 'x@y.example',
        text: null,
      });
      assert.deepEqual([nobody.ok, nobody.code], [false, 'MEMBER_NOT_FOUND']);
    });

    it('held: reject tells the sender the reason; a second decision is refused naming the first', async () => {
      const h = new Disclosures();
      await h.post({ from: 'mallory@evil.example', subject: 'For sale', body: 'Buy.\n' });
      const id = h.ctx.db.prepare('SELECT inbound_id FROM held').pluck().get() as number;
      const mark = h.mark();
      const outcome = moderatorAction(h.ctx, CONSOLE, { kind: 'held', verb: 'reject', heldId: id, text: 'No sales.' });
      assert.equal(outcome.ok, true, outcome.message);
      const sent = await h.sent(mark);
      assert.deepEqual(
        sent.map((m) => [m.purpose, m.to]),
        [['requester.notice.post-rejected', ['mallory@evil.example']]],
      );
      const again = moderatorAction(h.ctx, CONSOLE, { kind: 'held', verb: 'approve', heldId: id, text: null });
      assert.deepEqual([again.ok, again.code], [false, 'ALREADY_DECIDED']);
      assert.match(again.message, new RegExp(`held message ${id} was already rejected by ${MODERATOR}`));
    });
  });

  it('a refusal never mails the actor (an applicant is not told either)', async () => {
    const h = new Membership();
    await h.submit();
    const mark = h.mark();
    moderatorAction(
      h.ctx,
      { name: 'cli:root', via: 'cli' },
      { kind: 'request', verb: 'ask', requestId: 1, text: null },
    );
    assert.deepEqual(await h.sent(mark), []);
    assert.equal(h.request(1).applicant, APPLICANT);
  });
});
