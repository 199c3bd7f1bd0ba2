/**
 * What the security review asked for: a second copy of a disclosure is not a second disclosure,
 * a removed member gets nothing more that was queued, and a busy database never quarantines.
 */
import assert from 'node:assert/strict';
import { removeMemberWithNotice } from '../../../src/actions/remove-member';
import { noticeToThread } from '../../../src/actions/thread-notice';
import { transaction } from '../../../src/store/db';
import { processRaw } from '../../../src/runners/pipeline';
import { ALPHA, BETA, Disclosures, listMail, OPENING_SUBJECT } from '../../helpers/disclosures';
import { MODERATOR } from '../../helpers/membership';

describe('hardening (review findings)', () => {
  it('takes a second copy of an opening post (same Message-ID, other bytes) as a duplicate: one disclosure, one relay', async () => {
    const h = new Disclosures();
    const { messageId } = await h.open();
    const again = listMail({
      from: MODERATOR,
      subject: OPENING_SUBJECT,
      body: 'Embargo: 2026-03-12 10:00 UTC\nsame post, re-delivered\n',
      messageId,
    });
    const result = await h.receive(Buffer.concat([Buffer.from('X-Redelivered: yes\r\n'), again]));
    assert.equal(result.outcome, 'discard');
    assert.equal(h.disclosures().length, 1);
  });

  it('takes a second copy of a thread reply or a leak report as a duplicate, so a leak is counted once', async () => {
    const h = new Disclosures();
    const { copy } = await h.open();
    const leak = listMail({
      from: BETA.address,
      subject: `LEAK: ${copy.subject}`,
      body: 'What: the diff\nTo whom: a vendor\n',
      inReplyTo: copy.messageId,
      references: [copy.messageId],
      messageId: '<leak-1@beta.example>',
    });
    assert.equal((await h.receive(leak)).outcome, 'leak-report');
    assert.equal((await h.receive(leak)).outcome, 'discard');
    assert.equal(h.leaks().length, 1);
  });

  it('cancels what was queued for a member as a member when it is removed; its own notice still goes', async () => {
    const h = new Disclosures();
    await h.open();
    const queued = () =>
      h.ctx.db
        .prepare(
          "SELECT count(*) FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE o.recipient = ? AND o.status = 'pending' AND m.purpose = 'relay'",
        )
        .pluck()
        .get(ALPHA.address);
    assert.equal(queued(), 1, 'the disclosure is queued for alpha');
    const copies = transaction(h.ctx.db, () =>
      removeMemberWithNotice(h.ctx, null, ALPHA.address, 'operator:test', 'removed', 'leaked twice'),
    );
    assert.ok(copies > 0);
    assert.equal(queued(), 0, 'the queued disclosure will not go');
    const cancelled = h.ctx.db
      .prepare("SELECT last_error FROM outbox WHERE recipient = ? AND status = 'failed'")
      .pluck()
      .all(ALPHA.address) as string[];
    assert.match(cancelled[0]!, /^cancelled: removed/);
    const notice = h.ctx.db
      .prepare(
        "SELECT o.status FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE o.recipient = ? AND m.purpose = 'member.notice.removed'",
      )
      .pluck()
      .get(ALPHA.address);
    assert.equal(notice, 'pending', 'the removal notice itself is still sent');
  });

  it('sends automatic answers with the null envelope sender, and our own notices from the bounce address', async () => {
    const h = new Disclosures();
    await h.receive(
      listMail({
        from: 'applicant@org.example',
        to: 'security-requests@lists.example.org',
        subject: 'join',
        body: 'Please add us.\n',
        auth: false,
      }),
    );
    const rows = h.ctx.db.prepare('SELECT purpose, envelope_from FROM outbox_message ORDER BY id').all() as {
      purpose: string;
      envelope_from: string;
    }[];
    assert.deepEqual(
      rows.find((r) => r.purpose === 'applicant.notice.request-received')?.envelope_from,
      '',
      'the acknowledgement',
    );
    assert.deepEqual(
      rows.find((r) => r.purpose === 'moderator.action.join-request')?.envelope_from,
      'security-bounces@lists.example.org',
    );
  });

  it("sends thread notices with each member's own envelope sender, so that their bounces count too", async () => {
    const h = new Disclosures();
    await h.open();
    transaction(h.ctx.db, () =>
      noticeToThread(h.ctx, null, h.disclosure(1), 'member.notice.embargo-ending', { end: 'soon' }),
    );
    const envelopes = h.ctx.db
      .prepare(
        "SELECT o.envelope_from FROM outbox o JOIN outbox_message m ON m.id = o.message WHERE m.purpose = 'member.notice.embargo-ending'",
      )
      .pluck()
      .all() as string[];
    assert.equal(envelopes.length, 3);
    for (const e of envelopes) assert.match(e, /^security-bounces\+[0-9a-f]{16}@lists\.example\.org$/);
    assert.equal(new Set(envelopes).size, 3);
  });

  it('leaves a message "received" and rethrows when the database is busy, instead of quarantining it', async () => {
    const h = new Disclosures();
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    // The raw bytes are recorded first; the failure comes while the message is being handled.
    let calls = 0;
    const ctx = {
      ...h.ctx,
      clock: () => {
        calls += 1;
        if (calls > 1) throw busy;
        return h.clock.now();
      },
    };
    const raw = listMail({ from: ALPHA.address, body: 'hello\n' });
    await assert.rejects(processRaw(ctx, 'test:busy', raw), /database is locked/);
    assert.deepEqual(h.ctx.db.prepare('SELECT status, attempts FROM inbound').all(), [
      { status: 'received', attempts: 1 },
    ]);
    const other = Object.assign(new Error('boom'), { code: 'SQLITE_CONSTRAINT' });
    calls = 0;
    const ctx2 = {
      ...h.ctx,
      clock: () => {
        calls += 1;
        if (calls === 2) throw other;
        return h.clock.now();
      },
    };
    const result = await processRaw(ctx2, 'test:other', listMail({ from: ALPHA.address, body: 'again\n' }));
    assert.equal(result.status, 'quarantined', "an error of the message's own handling is still shunted");
  });
});
