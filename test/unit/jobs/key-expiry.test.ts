/**
 * Keys age (issue 12, item 5): jobs/key-expiry warns a member or moderator once per key when its
 * current key expires within policy.keyExpiryWarnDays, and tells of a member key that expired or
 * was revoked once (the moderators under required, the member under opportunistic). Keys are made
 * by openpgp.js with a real expiry and revocation; the clock is moved, never waited for.
 */
import assert from 'node:assert/strict';
import { runKeyExpiry } from '../../../src/jobs/key-expiry';
import { JOBS } from '../../../src/jobs';
import { describeKey } from '../../../src/openpgp/keys';
import { openpgp, type PublicKey } from '../../../src/openpgp/lib';
import { findKey, putKey, type KeyOwner } from '../../../src/store/keys';
import { upsertMember } from '../../../src/store/members';
import { MODERATORS, trustedAuthConfig } from '../../helpers/context';
import { DAY, Membership, MODERATOR, MODERATOR_2 } from '../../helpers/membership';

const MEMBER = 'psirt@alpha.example';
const OTHER = 'security@beta.example';

function harness(policy: string, enabled = true): Membership {
  const h = new Membership(`${trustedAuthConfig()}\nopenpgp: { enabled: ${enabled} }\npolicy: { ${policy} }\n`);
  const at = h.clock.now().toISOString();
  upsertMember(h.ctx.db, MEMBER, 'Alpha', at);
  upsertMember(h.ctx.db, OTHER, 'Beta', at);
  return h;
}

/** A key of `email` made a day before the harness clock, usable for `days` days from then (none: never expires). */
async function makeKey(h: Membership, email: string, days?: number): Promise<{ key: PublicKey; fingerprint: string }> {
  const { publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ email }],
    date: new Date(h.clock.now().getTime() - DAY),
    ...(days === undefined ? {} : { keyExpirationTime: (days + 1) * 86_400 }),
    format: 'object',
  });
  return { key: publicKey, fingerprint: publicKey.getFingerprint().toUpperCase() };
}

async function store(h: Membership, owner: KeyOwner, address: string, key: PublicKey): Promise<void> {
  putKey(h.ctx.db, owner, address, await describeKey(key, h.clock.now()), h.clock.now().toISOString(), 'test');
}

/** Mails after `mark`: recipients and subject. */
async function mails(h: Membership, mark: number): Promise<{ to: string[]; subject: string; text: string }[]> {
  return (await h.sent(mark)).map((m) => ({ to: m.to, subject: m.subject, text: m.text }));
}

const spaced = (fpr: string): string => fpr.match(/.{4}/g)!.join(' ');

describe('jobs/key-expiry (keys age)', () => {
  it('is registered with the other clocks, on the hourly one', () => {
    const job = JOBS.find((j) => j.name === 'key-expiry');
    assert.ok(job);
    assert.equal(job.schedule(harness('').ctx.config), '0 * * * *');
  });

  it('warns a member once at the threshold, not before, with the fingerprint, the UTC expiry and how to renew', async () => {
    const h = harness('encryption: required, keyExpiryWarnDays: 30');
    const k = await makeKey(h, MEMBER, 40);
    await store(h, 'member', MEMBER, k.key);
    const expires = findKey(h.ctx.db, 'member', MEMBER)!.expires!;
    assert.equal(expires, new Date(h.clock.now().getTime() + 40 * DAY).toISOString());

    h.clock.advance(9 * DAY); // 31 days left
    let mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 });
    assert.deepEqual(await mails(h, mark), [], 'not before the threshold');

    h.clock.advance(DAY + 60_000); // just under 30 days left
    mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 1, moderatorsTold: 0, membersTold: 0 });
    const sent = await mails(h, mark);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.to, [MEMBER]);
    assert.match(sent[0]!.subject, /Your OpenPGP key expires on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    assert.ok(sent[0]!.text.includes(spaced(k.fingerprint)), 'the fingerprint');
    assert.match(sent[0]!.text, /in 30 day\(s\)/);
    assert.ok(sent[0]!.text.includes(`gpg --quick-set-expire ${k.fingerprint} 1y`), 'a command gpg takes');
    assert.ok(sent[0]!.text.includes(`embargo-list members key add ${MEMBER} FILE`));
    assert.ok(sent[0]!.text.includes(MODERATOR), 'who to send the key to');
    assert.notEqual(findKey(h.ctx.db, 'member', MEMBER)!.warned_at, null);
    assert.ok(h.auditActions().includes('key.warn-expiring'));

    h.clock.advance(10 * DAY);
    mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 }, 'once per key');
    assert.deepEqual(await mails(h, mark), []);
  });

  it("warns a moderator of its own key, with the operator's command", async () => {
    const h = harness('keyExpiryWarnDays: 30');
    const k = await makeKey(h, MODERATOR, 10);
    await store(h, 'moderator', MODERATOR, k.key);
    const mark = h.mark();
    assert.equal(runKeyExpiry(h.ctx).warned, 1);
    const sent = await mails(h, mark);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.to, [MODERATOR], 'only the key holder, not the other moderator');
    assert.match(sent[0]!.subject, /Your moderator OpenPGP key expires on/);
    assert.ok(sent[0]!.text.includes(`embargo-list moderators key add ${MODERATOR} key.asc`));
    assert.equal(runKeyExpiry(h.ctx).warned, 0);
  });

  it('keyExpiryWarnDays 0 warns nobody', async () => {
    const h = harness('encryption: opportunistic, keyExpiryWarnDays: 0');
    await store(h, 'member', MEMBER, (await makeKey(h, MEMBER, 2)).key);
    await store(h, 'moderator', MODERATOR, (await makeKey(h, MODERATOR, 2)).key);
    const mark = h.mark();
    assert.equal(runKeyExpiry(h.ctx).warned, 0);
    assert.deepEqual(await mails(h, mark), []);
    assert.equal(findKey(h.ctx.db, 'member', MEMBER)!.warned_at, null);
  });

  it('under required, an expired member key is told to the moderators once, and the member gets nothing', async () => {
    const h = harness('encryption: required, keyExpiryWarnDays: 30');
    const k = await makeKey(h, MEMBER, 5);
    await store(h, 'member', MEMBER, k.key);
    runKeyExpiry(h.ctx); // the warning
    h.clock.advance(5 * DAY - 60_000);
    assert.equal(runKeyExpiry(h.ctx).moderatorsTold, 0, 'still usable');
    h.clock.advance(120_000);
    let mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 1, membersTold: 0 });
    const sent = await mails(h, mark);
    assert.equal(sent.length, 1);
    assert.deepEqual([...sent[0]!.to].sort(), [...MODERATORS].sort());
    assert.match(sent[0]!.subject, /The OpenPGP key of psirt@alpha\.example \(Alpha\) is no longer usable/);
    assert.ok(sent[0]!.text.includes(spaced(k.fingerprint)));
    assert.match(sent[0]!.text, /expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    assert.match(sent[0]!.text, /only the key-required notice/);
    h.clock.advance(3 * DAY);
    mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 }, 'once');
    assert.deepEqual(await mails(h, mark), []);
  });

  it('under opportunistic, the member is told once that its copies now go in the clear; the moderators are not', async () => {
    const h = harness('encryption: opportunistic, keyExpiryWarnDays: 30');
    const k = await makeKey(h, MEMBER, 5);
    await store(h, 'member', MEMBER, k.key);
    h.clock.advance(6 * DAY); // the job did not run before: no warning for an expired key
    let mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 1 });
    const sent = await mails(h, mark);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.to, [MEMBER]);
    assert.match(sent[0]!.subject, /thread mail now reaches you in the clear/);
    assert.ok(sent[0]!.text.includes(spaced(k.fingerprint)));
    assert.ok(sent[0]!.text.includes(`gpg --quick-set-expire ${k.fingerprint} 1y`));
    mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 }, 'once');
    assert.deepEqual(await mails(h, mark), []);
  });

  it('a revoked member key counts as expired: told once, never warned', async () => {
    const h = harness('encryption: required, keyExpiryWarnDays: 30');
    const { privateKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ email: MEMBER }],
      date: new Date(h.clock.now().getTime() - DAY),
      keyExpirationTime: 10 * 86_400,
      format: 'object',
    });
    const { publicKey: revoked } = await openpgp.revokeKey({ key: privateKey, date: h.clock.now(), format: 'object' });
    await store(h, 'member', MEMBER, revoked);
    assert.equal(findKey(h.ctx.db, 'member', MEMBER)!.revoked, 1);
    const mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 1, membersTold: 0 });
    const sent = await mails(h, mark);
    assert.equal(sent.length, 1);
    assert.match(sent[0]!.text, /has been revoked/);
    assert.match(sent[0]!.text, /cannot be renewed/);
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 });
  });

  it('never warns of or tells of a key already replaced; the replacement is a key of its own', async () => {
    const h = harness('encryption: required, keyExpiryWarnDays: 30');
    await store(h, 'member', MEMBER, (await makeKey(h, MEMBER, 20)).key);
    const replacement = await makeKey(h, MEMBER, 365);
    await store(h, 'member', MEMBER, replacement.key);
    let mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 });
    h.clock.advance(21 * DAY); // the old key would have expired
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 });
    assert.deepEqual(await mails(h, mark), []);
    h.clock.advance(320 * DAY); // the replacement is within 30 days of its end
    mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 1, moderatorsTold: 0, membersTold: 0 });
    assert.ok((await mails(h, mark))[0]!.text.includes(spaced(replacement.fingerprint)));
  });

  it('leaves alone keys of removed members and former moderators, and everything with openpgp off', async () => {
    const h = harness('encryption: required, keyExpiryWarnDays: 30');
    await store(h, 'member', OTHER, (await makeKey(h, OTHER, 5)).key);
    await store(h, 'moderator', 'former@example.org', (await makeKey(h, 'former@example.org', 5)).key);
    h.ctx.db.prepare("UPDATE members SET status = 'removed' WHERE address = ?").run(OTHER);
    const mark = h.mark();
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 });
    h.clock.advance(6 * DAY);
    assert.deepEqual(runKeyExpiry(h.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 });

    const off = harness('encryption: required, keyExpiryWarnDays: 30', false);
    await store(off, 'member', MEMBER, (await makeKey(off, MEMBER, 5)).key);
    await store(off, 'moderator', MODERATOR_2, (await makeKey(off, MODERATOR_2, 5)).key);
    assert.deepEqual(runKeyExpiry(off.ctx), { warned: 0, moderatorsTold: 0, membersTold: 0 });
    assert.deepEqual(await mails(h, mark), []);
    assert.deepEqual(await mails(off, 0), []);
  });
});
