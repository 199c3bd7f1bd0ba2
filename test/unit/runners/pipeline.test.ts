import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import type { Action } from '../../../src/actions/types';
import type { Context } from '../../../src/context';
import { splitMessage } from '../../../src/message/headers';
import { ACTIONS, MAX_ATTEMPTS, processRaw } from '../../../src/runners/pipeline';
import { appendAudit } from '../../../src/store/audit';
import { findInbound, recordInbound, type InboundRow } from '../../../src/store/inbound';
import { upsertMember } from '../../../src/store/members';
import { enqueueMail } from '../../../src/store/outbox';
import {
  addMembers,
  BOUNCE_ADDRESS,
  createTestContext,
  FIXED_DATE,
  LIST_ADDRESS,
  MODERATORS,
  REQUESTS_ADDRESS,
  backboneConfig,
} from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { authenticatedMail } from '../../helpers/membership';
import { crlf, encodedWord } from '../../helpers/raw-mail';

const MEMBERS = ['alice@member.example', 'bob@member.example', 'carol@member.example'];

interface Copy {
  recipient: string;
  status: string;
  purpose: string;
  envelope_from: string;
  message_id: string | null;
  raw: Buffer;
  inbound_id: number | null;
}

function copies(ctx: Context): Copy[] {
  return ctx.db
    .prepare(
      `SELECT o.recipient, o.status, m.purpose, m.envelope_from, m.message_id, m.raw, m.inbound_id
     FROM outbox o JOIN outbox_message m ON m.id = o.message ORDER BY o.id`,
    )
    .all() as Copy[];
}

function audit(
  ctx: Context,
): { actor: string; action: string; object: string | null; message_id: string | null; detail: string | null }[] {
  return ctx.db.prepare('SELECT actor, action, object, message_id, detail FROM audit ORDER BY id').all() as never;
}

/** Copies other than the moderators' notice that every quarantine queues (runners/pipeline shunt). */
const besidesNotice = (ctx: Context): number =>
  copies(ctx).filter((c) => c.purpose !== 'moderator.notice.quarantined').length;

const count = (ctx: Context, table: string): number =>
  ctx.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
const inbound = (ctx: Context, ref: string): InboundRow => findInbound(ctx.db, ref)!;

/** The backbone relays a member's new post: see backboneConfig() for what that asks of the configuration. */
const memberMail = authenticatedMail;

describe('runners/pipeline (processRaw)', () => {
  let ctx: Context;
  let woken: number;

  beforeEach(() => {
    woken = 0;
    ctx = createTestContext({
      config: backboneConfig(),
      outboxChanged: () => {
        woken += 1;
      },
    });
    addMembers(ctx, ...MEMBERS);
  });

  describe('a member post', () => {
    it('relays it to every member and writes the inbound row, the audit entry and the outbox together', async () => {
      const raw = memberMail({
        from: 'Alice <alice@member.example>',
        to: LIST_ADDRESS,
        subject: 'CVE-2026-0001',
        messageId: '<post-1@member.example>',
      });
      const result = await processRaw(ctx, 'maildir:1', raw);
      assert.equal(result.status, 'processed');
      assert.equal(result.outcome, 'relay');

      const row = inbound(ctx, 'maildir:1');
      assert.deepEqual(
        [row.status, row.outcome, row.message_id, row.sender, row.subject, row.attempts, row.processed_at],
        [
          'processed',
          'relay',
          '<post-1@member.example>',
          'alice@member.example',
          'CVE-2026-0001',
          1,
          FIXED_DATE.toISOString(),
        ],
      );
      assert.deepEqual(
        JSON.parse(row.hits!).map((h: { rule: string }) => h.rule),
        ['to-list', 'from-member', 'new-thread'],
      );

      const out = copies(ctx);
      assert.deepEqual(
        out.map((c) => c.recipient),
        MEMBERS,
      );
      for (const c of out) {
        assert.deepEqual(
          [c.status, c.purpose, c.envelope_from, c.message_id, c.inbound_id],
          ['pending', 'relay', BOUNCE_ADDRESS, '<post-1@member.example>', row.id],
        );
      }
      assert.equal(count(ctx, 'outbox_message'), 1);

      assert.deepEqual(
        audit(ctx).map((a) => [a.actor, a.action, a.object, a.message_id, JSON.parse(a.detail!)]),
        [['alice@member.example', 'post.relay', `inbound:${row.id}`, '<post-1@member.example>', { recipients: 3 }]],
      );
    });

    it('relays the post with the list headers and its body untouched', async () => {
      const raw = memberMail({
        from: 'alice@member.example',
        to: LIST_ADDRESS,
        subject: 'x',
        body: 'secret details\n',
        headers: { Bcc: 'hidden@elsewhere.example' },
      });
      await processRaw(ctx, 'maildir:1', raw);
      const relayed = copies(ctx)[0]!.raw;
      const names = splitMessage(relayed).headers.map((h) => h.name);
      assert.deepEqual(names.slice(0, 5), ['List-Id', 'List-Post', 'List-Help', 'Precedence', 'X-Loop']);
      assert.ok(!names.includes('Bcc'));
      assert.deepEqual(splitMessage(relayed).body, splitMessage(raw).body);
    });

    it('wakes the deliverer once, after the commit', async () => {
      await processRaw(ctx, 'maildir:1', memberMail({ from: 'alice@member.example', to: LIST_ADDRESS }));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(woken, 1);
    });

    it('relays a member whose From and the list address are written in odd case', async () => {
      const result = await processRaw(
        ctx,
        'maildir:1',
        memberMail({ from: 'ALICE@Member.Example', to: 'Security@LISTS.Example.org' }),
      );
      assert.equal(result.outcome, 'relay');
      assert.equal(copies(ctx).length, MEMBERS.length);
    });

    it('does not send the post to a removed member', async () => {
      ctx.db.prepare("UPDATE members SET status = 'removed' WHERE address = 'carol@member.example'").run();
      await processRaw(ctx, 'maildir:1', memberMail({ from: 'alice@member.example', to: LIST_ADDRESS }));
      assert.deepEqual(
        copies(ctx).map((c) => c.recipient),
        ['alice@member.example', 'bob@member.example'],
      );
    });
  });

  describe('a non-member post', () => {
    it('holds it and tells the moderators in one notice, relaying nothing', async () => {
      const raw = makeMessage({
        from: 'mallory@evil.example',
        to: LIST_ADDRESS,
        subject: 'Exploit for sale',
        messageId: '<spam-1@evil.example>',
      });
      const result = await processRaw(ctx, 'maildir:1', raw);
      assert.deepEqual([result.status, result.outcome], ['processed', 'hold']);
      const row = inbound(ctx, 'maildir:1');
      assert.deepEqual([row.status, row.outcome, row.sender], ['processed', 'hold', 'mallory@evil.example']);

      const out = copies(ctx);
      assert.deepEqual(
        out.map((c) => c.recipient),
        MODERATORS,
      );
      for (const c of out)
        assert.deepEqual([c.purpose, c.envelope_from], ['moderator.action.held-post', BOUNCE_ADDRESS]);
      assert.ok(!out.some((c) => MEMBERS.includes(c.recipient)));
      assert.equal(count(ctx, 'outbox_message'), 1, 'one mail for both moderators');

      const notice = await simpleParser(out[0]!.raw);
      const subject = /^\[Example Security\] Held: Exploit for sale \(tk-([a-z2-7]{26})\)$/.exec(notice.subject ?? '');
      assert.ok(subject, notice.subject);
      const token = subject[1]!;
      // The reply's In-Reply-To brings the token back, as with every mail that asks for a keyword.
      assert.match(notice.messageId ?? '', new RegExp(`\\.tk-${token}@lists\\.example\\.org>$`));
      assert.deepEqual(ctx.db.prepare('SELECT purpose, subject, used_at FROM tokens WHERE token = ?').get(token), {
        purpose: 'held',
        subject: String(row.id),
        used_at: null,
      });
      assert.equal(notice.headers.get('auto-submitted'), 'auto-generated');
      assert.equal(notice.headers.get('x-loop'), LIST_ADDRESS);
      assert.match(notice.text ?? '', /mallory@evil\.example is neither a member nor a moderator/);
      assert.match(notice.text ?? '', /<spam-1@evil\.example>/);
      assert.match(notice.text ?? '', new RegExp(`It waits for you as held message ${row.id}\\.`));
      assert.doesNotMatch(notice.text ?? '', /addressed to/);

      assert.deepEqual(ctx.db.prepare('SELECT * FROM held').all(), [
        {
          inbound_id: row.id,
          sender: 'mallory@evil.example',
          subject: 'Exploit for sale',
          message_id: '<spam-1@evil.example>',
          // Under the shipped security.requireAuthenticatedPosts, the stranger is also unauthenticated.
          reasons: JSON.stringify([
            'mallory@evil.example is neither a member nor a moderator',
            'mallory@evil.example is not authenticated: no trusted Authentication-Results at the top of the message',
          ]),
          relayable: 1,
          held_at: FIXED_DATE.toISOString(),
          expires_at: '2026-03-24T09:30:00.000Z',
          state: 'held',
          decided_by: null,
          decided_at: null,
          reason: null,
        },
      ]);
      assert.deepEqual(
        audit(ctx).map((a) => [a.actor, a.action]),
        [['mallory@evil.example', 'post.hold.non-member']],
      );
    });

    it("holds a stranger who puts a member's address in the display name of From", async () => {
      const result = await processRaw(
        ctx,
        'maildir:1',
        makeMessage({ from: '"alice@member.example" <mallory@evil.example>', to: LIST_ADDRESS }),
      );
      assert.equal(result.outcome, 'hold');
      assert.deepEqual(
        copies(ctx).map((c) => c.recipient),
        MODERATORS,
      );
    });

    it('holds a stranger who forges a member in Sender and Reply-To', async () => {
      const raw = makeMessage({
        from: 'mallory@evil.example',
        to: LIST_ADDRESS,
        headers: { Sender: 'alice@member.example', 'Reply-To': 'alice@member.example' },
      });
      assert.equal((await processRaw(ctx, 'maildir:1', raw)).outcome, 'hold');
    });

    it("keeps a line break hidden in the subject out of the notice's header", async () => {
      const raw = crlf(
        'From: mallory@evil.example',
        `To: ${LIST_ADDRESS}`,
        `Subject: ${encodedWord('hello\r\nBcc: attacker@evil.example')}`,
        '',
        'body',
      );
      await processRaw(ctx, 'maildir:1', raw);
      const out = copies(ctx);
      assert.deepEqual(
        out.map((c) => c.recipient),
        MODERATORS,
      );
      const names = splitMessage(out[0]!.raw).headers.map((h) => h.name.toLowerCase());
      assert.ok(!names.includes('bcc'), names.join(', '));
      assert.match(
        (await simpleParser(out[0]!.raw)).subject ?? '',
        /^\[Example Security\] Held: hello Bcc: attacker@evil\.example \(tk-[a-z2-7]{26}\)$/,
      );
    });
  });

  describe('other holds', () => {
    it("holds a member post that names neither list address (Bcc'd)", async () => {
      await processRaw(ctx, 'maildir:1', memberMail({ from: 'alice@member.example', to: 'someone@elsewhere.example' }));
      assert.deepEqual(
        audit(ctx).map((a) => a.action),
        ['post.hold.implicit-destination'],
      );
      assert.deepEqual(
        copies(ctx).map((c) => c.recipient),
        MODERATORS,
      );
      assert.equal(
        ctx.db.prepare('SELECT relayable FROM held').pluck().get(),
        0,
        'not addressed to the list: APPROVE cannot relay it',
      );
    });

    it('takes any other mail to the requests address as a join request', async () => {
      await processRaw(
        ctx,
        'maildir:1',
        makeMessage({ from: 'newcomer@org.example', to: REQUESTS_ADDRESS, subject: 'join' }),
      );
      assert.deepEqual(
        audit(ctx).map((a) => a.action),
        ['request.receive'],
      );
      assert.equal(inbound(ctx, 'maildir:1').outcome, 'join-request');
    });
  });

  describe('drops', () => {
    it('drops a looped message: nothing is sent and the reason is kept', async () => {
      const raw = memberMail({ from: 'alice@member.example', to: LIST_ADDRESS, headers: { 'X-Loop': LIST_ADDRESS } });
      const result = await processRaw(ctx, 'maildir:1', raw);
      assert.deepEqual([result.status, result.outcome], ['processed', 'discard']);
      assert.equal(count(ctx, 'outbox'), 0);
      assert.equal(count(ctx, 'outbox_message'), 0);
      assert.deepEqual(
        audit(ctx).map((a) => a.action),
        ['post.drop.loop'],
      );
      assert.ok(JSON.parse(inbound(ctx, 'maildir:1').hits!).some((h: { rule: string }) => h.rule === 'loop'));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(woken, 0);
    });

    it('drops our own held-post notice when it comes back, even from a moderator who is a member', async () => {
      upsertMember(ctx.db, MODERATORS[0]!, 'Moderators', FIXED_DATE.toISOString());
      await processRaw(ctx, 'maildir:1', makeMessage({ from: 'mallory@evil.example', to: LIST_ADDRESS }));
      const notice = copies(ctx)[0]!.raw;
      const result = await processRaw(ctx, 'maildir:2', notice);
      assert.equal(result.outcome, 'discard');
      assert.equal(copies(ctx).length, MODERATORS.length);
    });

    it('drops a second copy of a relayed post that arrives under another source', async () => {
      const raw = memberMail({ from: 'alice@member.example', to: LIST_ADDRESS, messageId: '<dup@member.example>' });
      await processRaw(ctx, 'maildir:1', raw);
      const second = await processRaw(
        ctx,
        'maildir:2',
        memberMail({
          from: 'alice@member.example',
          to: LIST_ADDRESS,
          messageId: '<dup@member.example>',
          body: 'resent',
        }),
      );
      assert.equal(second.outcome, 'discard');
      assert.equal(copies(ctx).length, MEMBERS.length);
      assert.deepEqual(
        audit(ctx).map((a) => a.action),
        ['post.relay', 'post.drop.duplicate'],
      );
    });
  });

  describe('quarantine', () => {
    it('quarantines a message without a From header with its code, keeping its bytes', async () => {
      const raw = crlf(`To: ${LIST_ADDRESS}`, 'Subject: anonymous', 'Message-ID: <anon@x.example>', '', 'body');
      const result = await processRaw(ctx, 'maildir:1', raw);
      assert.deepEqual([result.status, result.outcome], ['quarantined', 'quarantine']);
      const row = inbound(ctx, 'maildir:1');
      assert.deepEqual([row.status, row.error_code], ['quarantined', 'MESSAGE_NO_FROM']);
      assert.ok(row.error_message && row.error_message.length > 0);
      assert.deepEqual(row.raw, raw);
      assert.equal(besidesNotice(ctx), 0);
      assert.deepEqual(
        audit(ctx).map((a) => [a.actor, a.action, a.object, JSON.parse(a.detail!).code]),
        [['daemon', 'inbound.quarantine', `inbound:${row.id}`, 'MESSAGE_NO_FROM']],
      );
    });

    it('quarantines a message with two From headers instead of choosing one', async () => {
      const raw = crlf('From: alice@member.example', 'From: mallory@evil.example', `To: ${LIST_ADDRESS}`, '', 'body');
      assert.equal((await processRaw(ctx, 'maildir:1', raw)).status, 'quarantined');
      assert.equal(inbound(ctx, 'maildir:1').error_code, 'MESSAGE_NO_FROM');
      assert.equal(besidesNotice(ctx), 0);
    });

    it(`quarantines a copy whose handling killed its process ${MAX_ATTEMPTS} times with MESSAGE_TOO_MANY_ATTEMPTS`, async () => {
      const raw = memberMail({ from: 'alice@member.example', to: LIST_ADDRESS });
      // Attempts by processes that died, each found dead by the next (test/unit/runners/attempts.test.ts has more).
      for (let i = 1; i <= MAX_ATTEMPTS; i += 1)
        recordInbound(ctx.db, 'maildir:1', raw, FIXED_DATE.toISOString(), {
          id: `gone.example:${i}:x`,
          alive: () => false,
        });
      const result = await processRaw(ctx, 'maildir:1', raw);
      assert.equal(result.status, 'quarantined');
      const row = inbound(ctx, 'maildir:1');
      assert.deepEqual(
        [row.status, row.error_code, row.attempts],
        ['quarantined', 'MESSAGE_TOO_MANY_ATTEMPTS', MAX_ATTEMPTS + 1],
      );
      assert.equal(besidesNotice(ctx), 0);
    });

    it(`still handles a copy on its ${MAX_ATTEMPTS}th start`, async () => {
      const raw = memberMail({ from: 'alice@member.example', to: LIST_ADDRESS });
      for (let i = 0; i < MAX_ATTEMPTS - 1; i += 1) recordInbound(ctx.db, 'maildir:1', raw, FIXED_DATE.toISOString());
      const result = await processRaw(ctx, 'maildir:1', raw);
      assert.deepEqual([result.status, result.outcome], ['processed', 'relay']);
      assert.equal(inbound(ctx, 'maildir:1').attempts, MAX_ATTEMPTS);
    });

    describe('when an action throws', () => {
      const original = ACTIONS.relay;
      afterEach(() => {
        ACTIONS.relay = original;
      });

      it('rolls back everything the action wrote and quarantines the message with HANDLER_FAILED', async () => {
        const failing: Action = (c, { inboundId, msg }) => {
          enqueueMail(
            c.db,
            {
              inboundId,
              purpose: 'relay',
              envelopeFrom: BOUNCE_ADDRESS,
              messageId: msg.messageId,
              raw: msg.raw,
              recipients: MEMBERS,
            },
            FIXED_DATE.toISOString(),
          );
          appendAudit(c.db, { at: FIXED_DATE.toISOString(), actor: msg.from.address, action: 'post.relay' });
          upsertMember(c.db, 'sneaky@elsewhere.example', 'Sneaky', FIXED_DATE.toISOString());
          throw new Error('disk on fire');
        };
        ACTIONS.relay = failing;
        const result = await processRaw(
          ctx,
          'maildir:1',
          memberMail({ from: 'alice@member.example', to: LIST_ADDRESS, messageId: '<boom@member.example>' }),
        );

        assert.deepEqual([result.status, result.outcome], ['quarantined', 'quarantine']);
        assert.equal(besidesNotice(ctx), 0);
        // The one mail left is the moderators' notice of the quarantine.
        assert.equal(count(ctx, 'outbox_message'), 1);
        assert.equal(count(ctx, 'members'), MEMBERS.length);
        const row = inbound(ctx, 'maildir:1');
        assert.deepEqual(
          [row.status, row.outcome, row.error_code, row.error_message, row.message_id, row.sender],
          [
            'quarantined',
            'quarantine',
            'HANDLER_FAILED',
            'disk on fire',
            '<boom@member.example>',
            'alice@member.example',
          ],
        );
        assert.deepEqual(
          audit(ctx).map((a) => a.action),
          ['inbound.quarantine'],
        );
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(woken, 1, 'woken once, for the notice');
      });

      it('does not apply the failed message when its source is fetched again', async () => {
        ACTIONS.relay = () => {
          throw new Error('boom');
        };
        const raw = memberMail({ from: 'alice@member.example', to: LIST_ADDRESS });
        await processRaw(ctx, 'maildir:1', raw);
        ACTIONS.relay = original;
        const again = await processRaw(ctx, 'maildir:1', raw);
        assert.equal(again.status, 'already-quarantined');
        assert.equal(besidesNotice(ctx), 0);
      });
    });
  });

  describe('the same source twice', () => {
    it('applies a copy once: the second time it is already processed and nothing more is written', async () => {
      const raw = memberMail({ from: 'alice@member.example', to: LIST_ADDRESS });
      const first = await processRaw(ctx, 'imap:INBOX:7:42', raw);
      const second = await processRaw(ctx, 'imap:INBOX:7:42', raw);
      assert.deepEqual(second, { status: 'already-processed', inboundId: first.inboundId });
      assert.equal(copies(ctx).length, MEMBERS.length);
      assert.equal(audit(ctx).length, 1);
      assert.equal(count(ctx, 'inbound'), 1);
      assert.equal(inbound(ctx, 'imap:INBOX:7:42').attempts, 1);
    });

    it('applies a copy once when two deliveries of it are handled at the same time', async () => {
      const raw = memberMail({ from: 'alice@member.example', to: LIST_ADDRESS });
      const results = await Promise.all([processRaw(ctx, 'ingest:abc', raw), processRaw(ctx, 'ingest:abc', raw)]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['already-processed', 'processed']);
      assert.equal(copies(ctx).length, MEMBERS.length);
      assert.deepEqual(
        audit(ctx).map((a) => a.action),
        ['post.relay'],
      );
      assert.equal(inbound(ctx, 'ingest:abc').status, 'processed');
    });

    it('says a quarantined copy is already quarantined the second time', async () => {
      const raw = crlf(`To: ${LIST_ADDRESS}`, '', 'no sender');
      await processRaw(ctx, 'maildir:1', raw);
      assert.equal((await processRaw(ctx, 'maildir:1', raw)).status, 'already-quarantined');
      assert.equal(audit(ctx).length, 1);
    });
  });
});
