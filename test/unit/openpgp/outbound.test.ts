import assert from 'node:assert/strict';
import { relayToThread } from '../../../src/actions/thread-relay';
import { noticeToThread } from '../../../src/actions/thread-notice';
import type { Context } from '../../../src/context';
import { describeKey } from '../../../src/openpgp/keys';
import { openpgp, type PublicKey } from '../../../src/openpgp/lib';
import { decideCopy, splitThreadRecipients } from '../../../src/openpgp/outbound';
import { getDisclosure, insertDisclosure, type DisclosureRow } from '../../../src/store/disclosures';
import { putKey, usableKeyRow } from '../../../src/store/keys';
import { addMembers, createTestContext, FIXED_DATE, MODERATORS, testConfig } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';

const DAY = 86_400_000;
const KEYED = 'keyed@alpha.example';
const EXPIRED = 'expired@beta.example';
const REVOKED = 'revoked@gamma.example';
const NOKEY = 'nokey@delta.example';
const SUBJECT = 'CVE-2026-7777: frobd trusts the hello length';
const TEXT = 'The frobd daemon overflows on a crafted hello; patch attached.';

type Policy = 'off' | 'opportunistic' | 'required';

async function memberKey(email: string, opts: { expired?: boolean; revoked?: boolean } = {}): Promise<PublicKey> {
  const made = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ email }],
    date: opts.expired ? new Date(FIXED_DATE.getTime() - 3 * DAY) : new Date(FIXED_DATE.getTime() - DAY),
    keyExpirationTime: opts.expired ? DAY / 1000 : 0,
    format: 'object',
  });
  if (!opts.revoked) return made.publicKey;
  const { publicKey } = await openpgp.revokeKey({ key: made.privateKey, date: FIXED_DATE, format: 'object' });
  return publicKey;
}

interface Keys {
  keyed: PublicKey;
  expired: PublicKey;
  revoked: PublicKey;
}

let keys: Keys;

function listContext(policy: Policy, enabled = true): Context {
  const ctx = createTestContext({
    config: testConfig(`openpgp: { enabled: ${enabled} }\npolicy: { encryption: ${policy} }\n`),
  });
  addMembers(ctx, KEYED, EXPIRED, REVOKED, NOKEY);
  return ctx;
}

async function storeKeys(ctx: Context): Promise<void> {
  const at = FIXED_DATE.toISOString();
  putKey(ctx.db, 'member', KEYED, await describeKey(keys.keyed, FIXED_DATE), at, 'test');
  putKey(ctx.db, 'member', EXPIRED, await describeKey(keys.expired, FIXED_DATE), at, 'test');
  putKey(ctx.db, 'member', REVOKED, await describeKey(keys.revoked, FIXED_DATE), at, 'test');
}

function disclosure(ctx: Context): DisclosureRow {
  const id = insertDisclosure(
    ctx.db,
    {
      subject: SUBJECT,
      openingMessageId: '<open@example.org>',
      openedBy: MODERATORS[0]!,
      embargoEnd: new Date(FIXED_DATE.getTime() + 7 * DAY).toISOString(),
      upstream: false,
      inboundId: null,
    },
    FIXED_DATE.toISOString(),
  );
  return getDisclosure(ctx.db, id)!;
}

interface Copy {
  recipient: string;
  encrypt_to: string | null;
  purpose: string;
  message: number;
  raw: Buffer;
}

function copies(ctx: Context): Copy[] {
  return ctx.db
    .prepare(
      'SELECT o.recipient, o.encrypt_to, o.message, m.purpose, m.raw FROM outbox o JOIN outbox_message m ON m.id = o.message ORDER BY o.id',
    )
    .all() as Copy[];
}

function copyFor(ctx: Context, recipient: string, purpose?: string): Copy[] {
  return copies(ctx).filter((c) => c.recipient === recipient && (purpose === undefined || c.purpose === purpose));
}

function relay(ctx: Context, d: DisclosureRow): number {
  const raw = makeMessage({ from: MODERATORS[0]!, to: 'security@lists.example.org', subject: SUBJECT, body: TEXT });
  return relayToThread(ctx, null, raw, d, MODERATORS[0]!, '<post@example.org>');
}

describe('openpgp/outbound: encrypted, clear or notice-only, decided at enqueue', () => {
  before(async function () {
    this.timeout(60_000);
    keys = {
      keyed: await memberKey(KEYED),
      expired: await memberKey(EXPIRED, { expired: true }),
      revoked: await memberKey(REVOKED, { revoked: true }),
    };
  });

  describe('the decision from stored columns (usableKeyRow, decideCopy)', () => {
    const cases: [Policy, string, 'encrypted' | 'clear' | 'notice-only'][] = [
      ['off', KEYED, 'clear'],
      ['off', NOKEY, 'clear'],
      ['off', EXPIRED, 'clear'],
      ['off', REVOKED, 'clear'],
      ['opportunistic', KEYED, 'encrypted'],
      ['opportunistic', NOKEY, 'clear'],
      ['opportunistic', EXPIRED, 'clear'],
      ['opportunistic', REVOKED, 'clear'],
      ['required', KEYED, 'encrypted'],
      ['required', NOKEY, 'notice-only'],
      ['required', EXPIRED, 'notice-only'],
      ['required', REVOKED, 'notice-only'],
    ];
    for (const [policy, member, want] of cases) {
      it(`${policy}, ${member.split('@')[0]}: ${want}`, async () => {
        const ctx = listContext(policy);
        await storeKeys(ctx);
        const d = decideCopy(ctx.config, usableKeyRow(ctx.db, member, FIXED_DATE)?.fingerprint ?? null);
        assert.equal(d.mode, want);
        if (d.mode === 'encrypted') assert.equal(d.fingerprint, keys.keyed.getFingerprint().toUpperCase());
      });
    }

    it('treats every copy as clear when openpgp.enabled is off, whatever the policy and keys', async () => {
      const ctx = listContext('required', false);
      await storeKeys(ctx);
      const split = splitThreadRecipients(
        ctx.config,
        [KEYED, NOKEY],
        (r) => usableKeyRow(ctx.db, r, FIXED_DATE)?.fingerprint ?? null,
        () => new Set(),
      );
      assert.deepEqual(split.clear, [KEYED, NOKEY]);
      assert.equal(split.encrypted.size, 0);
      assert.equal(split.pgp, false);
    });

    it('stops encrypting to a key once its stored end has passed', async () => {
      const ctx = listContext('opportunistic');
      await storeKeys(ctx);
      ctx.db.prepare('UPDATE openpgp_keys SET expires = ? WHERE address = ?').run(FIXED_DATE.toISOString(), KEYED);
      assert.equal(usableKeyRow(ctx.db, KEYED, FIXED_DATE), null);
    });
  });

  describe('a disclosure post relayed into the thread', () => {
    it('opportunistic: the keyed member gets the encrypted variant (encrypt_to its fingerprint), the others the clear one', async () => {
      const ctx = listContext('opportunistic');
      await storeKeys(ctx);
      assert.equal(relay(ctx, disclosure(ctx)), 4);
      const keyed = copyFor(ctx, KEYED);
      assert.equal(keyed.length, 1);
      assert.equal(keyed[0]!.encrypt_to, keys.keyed.getFingerprint().toUpperCase());
      for (const m of [EXPIRED, REVOKED, NOKEY]) assert.equal(copyFor(ctx, m)[0]!.encrypt_to, null);
      // Two variants, each one outbox_message shared by its copies; the footer says which it is.
      const clearMessage = copyFor(ctx, NOKEY)[0]!;
      assert.equal(copyFor(ctx, EXPIRED)[0]!.message, clearMessage.message);
      assert.notEqual(keyed[0]!.message, clearMessage.message);
      assert.match(keyed[0]!.raw.toString('utf8'), /This copy was encrypted to your OpenPGP key/);
      assert.match(clearMessage.raw.toString('utf8'), /This copy was sent unencrypted/);
      assert.doesNotMatch(clearMessage.raw.toString('utf8'), /This copy was encrypted/);
    });

    it('openpgp off: one variant, no encryption line in the footer, no encrypt_to', async () => {
      const ctx = listContext('opportunistic', false);
      await storeKeys(ctx);
      relay(ctx, disclosure(ctx));
      const all = copies(ctx);
      assert.equal(new Set(all.map((c) => c.message)).size, 1);
      assert.ok(all.every((c) => c.encrypt_to === null));
      assert.doesNotMatch(all[0]!.raw.toString('utf8'), /This copy was/);
    });

    it('required: members without a usable key get only the notice, with nothing of the text or subject; the moderators are told once', async () => {
      const ctx = listContext('required');
      await storeKeys(ctx);
      const d = disclosure(ctx);
      relay(ctx, d);
      for (const m of [EXPIRED, REVOKED, NOKEY]) {
        const got = copyFor(ctx, m);
        assert.deepEqual(
          got.map((c) => c.purpose),
          ['member.notice.key-required'],
        );
        const text = got[0]!.raw.toString('utf8');
        assert.match(text, new RegExp(`disclosure #${d.id}`));
        assert.ok(!text.includes('CVE-2026-7777') && !text.includes('frobd'), 'nothing of the subject or text');
      }
      assert.equal(copyFor(ctx, KEYED)[0]!.purpose, 'relay');
      const told = copies(ctx).filter((c) => c.purpose === 'moderator.notice.members-without-key');
      assert.deepEqual(told.map((c) => c.recipient).sort(), [...MODERATORS].sort());
      const body = told[0]!.raw.toString('utf8');
      for (const m of [EXPIRED, REVOKED, NOKEY]) assert.ok(body.includes(m), `${m} named to the moderators`);
      assert.ok(!body.includes(KEYED));

      // The next thread mail of the same disclosure: no second notice, nothing for them at all.
      const before = copies(ctx).length;
      noticeToThread(ctx, null, d, 'member.notice.embargo-moved', { end: '2026-04-01 00:00 UTC', previous: null });
      const after = copies(ctx).slice(before);
      assert.deepEqual(
        after.map((c) => c.recipient),
        [KEYED],
      );
      assert.ok(after[0]!.encrypt_to);
    });

    it('required: a member whose key arrives later gets the next thread mail encrypted', async () => {
      const ctx = listContext('required');
      await storeKeys(ctx);
      const d = disclosure(ctx);
      relay(ctx, d);
      putKey(ctx.db, 'member', NOKEY, await describeKey(keys.keyed, FIXED_DATE), FIXED_DATE.toISOString(), 'test');
      const before = copies(ctx).length;
      noticeToThread(ctx, null, d, 'member.notice.embargo-ending', { end: '2026-04-01 00:00 UTC' });
      const late = copies(ctx)
        .slice(before)
        .find((c) => c.recipient === NOKEY);
      assert.equal(late?.encrypt_to, keys.keyed.getFingerprint().toUpperCase());
    });
  });

  describe('a thread notice (embargo moved, ending, lifted, reminder)', () => {
    it('opportunistic: two variants whose last lines say encrypted or not', async () => {
      const ctx = listContext('opportunistic');
      await storeKeys(ctx);
      noticeToThread(ctx, null, disclosure(ctx), 'member.notice.embargo-ending', { end: '2026-04-01 00:00 UTC' });
      const keyed = copyFor(ctx, KEYED)[0]!;
      const clear = copyFor(ctx, NOKEY)[0]!;
      assert.ok(keyed.encrypt_to);
      assert.equal(clear.encrypt_to, null);
      assert.match(keyed.raw.toString('utf8'), /This copy was encrypted/);
      assert.match(clear.raw.toString('utf8'), /This copy was sent unencrypted/);
      // Same Message-ID for both variants: one notice in the members' threads.
      const mid = (raw: Buffer): string => /^Message-ID: (.*)$/im.exec(raw.toString('utf8'))![1]!;
      assert.equal(mid(keyed.raw), mid(clear.raw));
    });
  });
});
