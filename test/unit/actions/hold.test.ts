import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { hold } from '../../../src/actions/hold';
import { holdReasons } from '../../../src/chains/inbound';
import type { Hit } from '../../../src/rules/types';
import type { Context } from '../../../src/context';
import { parseMessage } from '../../../src/message/parse';
import { recordInbound } from '../../../src/store/inbound';
import { createTestContext, FIXED_DATE, LIST_ADDRESS, MODERATORS, snapshotWith } from '../../helpers/context';
import { crlf } from '../../helpers/raw-mail';

/** A hold decision as the chain gives it: the reasons are the hits of the rules whose use is 'reason'. */
async function held(ctx: Context, raw: Buffer, { label, hits }: { label: string; hits: Hit[] }): Promise<string> {
  const decision = { outcome: 'hold' as const, label, hits, reasons: holdReasons(hits, label) };
  const row = recordInbound(ctx.db, 'test:1', raw, FIXED_DATE.toISOString());
  const result = hold(ctx, {
    inboundId: row.id,
    msg: await parseMessage(raw),
    decision,
    snap: snapshotWith(),
    receivedAt: row.received_at,
  });
  assert.deepEqual(result, { disposition: 'HELD', copies: MODERATORS.length });
  const notice = ctx.db.prepare('SELECT raw FROM outbox_message').pluck().get() as Buffer;
  return (await simpleParser(notice)).text ?? '';
}

describe('actions/hold', () => {
  it('lists every reason except the plain to-list and from-member hits', async () => {
    const ctx = createTestContext();
    const text = await held(ctx, crlf('From: alice@member.example', 'To: someone@elsewhere.example', '', 'x'), {
      label: 'implicit-destination',
      hits: [
        { rule: 'implicit-destination', reason: 'neither address named' },
        { rule: 'from-member', reason: 'alice is an active member' },
      ],
    });
    assert.match(text, /- neither address named/);
    assert.doesNotMatch(text, /alice is an active member/);
    assert.doesNotMatch(text, /members add/);
  });

  it('says "(no subject)" and "(none)" for a message without subject or Message-ID', async () => {
    const ctx = createTestContext();
    const text = await held(ctx, crlf('From: mallory@evil.example', `To: ${LIST_ADDRESS}`, '', 'x'), {
      label: 'non-member',
      hits: [{ rule: 'from-non-member', reason: 'mallory@evil.example is not an active member' }],
    });
    assert.match(text, /Subject: {4}\(no subject\)/);
    assert.match(text, /Message-ID: \(none\)/);
    assert.match(text, /members add mallory@evil\.example/);
  });
});
