/**
 * A message encrypted to the list's key that is held, or returned to its moderator, is relayed
 * later by APPROVE or SEND from the decrypted copy kept in inbound.opened_raw (migration 0014),
 * never from the recorded ciphertext; the copy is kept only for those two cases and is dropped
 * once the post is decided, sent, or its time is up. Through processRaw with the in-memory
 * helpers; GnuPG is the senders' client.
 */
import { strict as assert } from 'node:assert';
import type { PrivateKey } from 'openpgp' with { 'resolution-mode': 'import' };
import { runExpiry } from '../../../src/jobs/expiry';
import { openpgp } from '../../../src/openpgp/lib';
import { describeKey } from '../../../src/openpgp/keys';
import type { ListKey } from '../../../src/openpgp/list-key';
import { putKey } from '../../../src/store/keys';
import { encryptedMail as encryptedWith, GpgHome } from '../../helpers/gpg';
import { LIST_ADDRESS, REQUESTS_ADDRESS } from '../../helpers/context';
import { ALPHA, Disclosures, listMail, MEMBERS, OPENING_SUBJECT } from '../../helpers/disclosures';
import { uniqueId } from '../../helpers/mail-factory';
import { DAY, MODERATOR, type Sent } from '../../helpers/membership';

const CRLF = '\r\n';
const STRANGER = 'mallory@evil.example';
const EVERY_MEMBER = MEMBERS.map((m) => m.address).sort();
const PGP_BLOCK = /BEGIN PGP MESSAGE/;
const SECRET_TEXT = 'The secret details: the parser trusts the length field of the second record.';

/** RFC 3156 multipart/encrypted around an armored OpenPGP message, as a mail client wraps gpg's output. */
function encryptedMail(o: { from: string; to: string; inReplyTo?: string }, armored: string): Buffer {
  return encryptedWith(
    [
      `From: ${o.from}`,
      `To: ${o.to}`,
      'Subject: ...',
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${uniqueId('pgp')}@example.org>`,
      ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`] : []),
      'MIME-Version: 1.0',
    ],
    armored,
  );
}

/** The inner entity: a text part with the protected Subject. */
function inner(subject: string, body: string): string {
  return [
    'Content-Type: text/plain; charset=us-ascii; protected-headers="v1"',
    `Subject: ${subject}`,
    '',
    ...body.split('\n'),
  ].join(CRLF);
}

describe('openpgp: held and returned decrypted posts are relayed decrypted (inbound.opened_raw)', function () {
  this.timeout(120_000);
  let listKey: ListKey;
  let moderator: GpgHome;
  let stranger: GpgHome;

  before(async function () {
    const made = await openpgp.generateKey({ userIDs: [{ name: 'List', email: LIST_ADDRESS }], format: 'object' });
    const privateKey = made.privateKey as PrivateKey;
    listKey = {
      privateKey,
      publicKey: made.publicKey,
      fingerprint: privateKey.getFingerprint().toUpperCase(),
      file: '(memory)',
    };
    moderator = new GpgHome().generate(`Moderator <${MODERATOR}>`);
    stranger = new GpgHome().generate(`Mallory <${STRANGER}>`);
    for (const h of [moderator, stranger]) h.importKey(made.publicKey.armor());
  });

  after(function () {
    for (const h of [moderator, stranger]) h?.cleanup();
  });

  async function list(): Promise<Disclosures> {
    const d = new Disclosures('', undefined, { listKey });
    d.clock.set(new Date()); // gpg made the keys now: the list's clock must not be before them
    const info = await describeKey(await openpgp.readKey({ armoredKey: moderator.publicKey() }), d.clock.now());
    putKey(d.ctx.db, 'moderator', MODERATOR, info, d.clock.now().toISOString(), 'test');
    return d;
  }

  function encrypt(home: GpgHome, text: string, sign: boolean): string {
    const args = ['--armor', '--trust-model', 'always', '--encrypt', ...(sign ? ['--sign'] : []), '-r', LIST_ADDRESS];
    return home.ok(args, text).stdout.toString('utf8');
  }

  /**
   * A stranger's post to the list encrypted to the list's key: held as from a non-member. To the
   * requests address, an answer to some mail of ours without a token: held, not relayable.
   */
  async function heldEncrypted(d: Disclosures, to = LIST_ADDRESS): Promise<{ id: number; mail: Sent }> {
    const before = d.mark();
    const raw = encryptedMail(
      { from: STRANGER, to, inReplyTo: to === LIST_ADDRESS ? undefined : '<ack-1@lists.example.org>' },
      encrypt(stranger, inner('Exploit for sale', SECRET_TEXT), false),
    );
    const r = await d.receive(raw);
    assert.equal(r.outcome, 'hold', JSON.stringify(d.inbound(r.inboundId)));
    return { id: r.inboundId, mail: await d.find(MODERATOR, /Held:/, before) };
  }

  /** A moderator's signed, encrypted post without an embargo end: returned with a send token. */
  async function returnedEncrypted(d: Disclosures): Promise<{ id: number; mail: Sent }> {
    const before = d.mark();
    const raw = encryptedMail(
      { from: MODERATOR, to: LIST_ADDRESS },
      encrypt(moderator, inner(OPENING_SUBJECT, SECRET_TEXT), true),
    );
    const r = await d.receive(raw);
    assert.equal(r.outcome, 'open-disclosure', JSON.stringify(d.inbound(r.inboundId)));
    return { id: r.inboundId, mail: await d.find(MODERATOR, /Not sent:/, before) };
  }

  function row(d: Disclosures, id: number): { raw: Buffer; opened: Buffer | null } {
    return d.ctx.db.prepare('SELECT raw, opened_raw AS opened FROM inbound WHERE id = ?').get(id) as never;
  }

  it('relays a held encrypted post approved by a moderator decrypted to the members, then drops the plaintext', async function () {
    const d = await list();
    const { id, mail } = await heldEncrypted(d);
    const kept = row(d, id);
    assert.ok(kept.opened, 'the decrypted copy is kept while the post waits');
    assert.ok(kept.opened.toString('utf8').includes(SECRET_TEXT));
    assert.match(kept.raw.toString('utf8'), PGP_BLOCK, 'raw stays the encrypted original');

    const before = d.mark();
    const r = await d.command(mail, 'APPROVE\n');
    assert.equal(r.outcome, 'moderator-command');
    const copies = (await d.sent(before)).filter((m) => m.purpose === 'relay');
    assert.equal(copies.length, 1);
    const copy = copies[0]!;
    assert.deepEqual([...copy.to].sort(), EVERY_MEMBER);
    assert.equal(copy.subject, 'Exploit for sale', 'the protected Subject');
    assert.ok(copy.text.includes(SECRET_TEXT), copy.text);
    assert.doesNotMatch(copy.text, PGP_BLOCK);
    assert.equal(d.ctx.db.prepare('SELECT state FROM held WHERE inbound_id = ?').pluck().get(id), 'approved');

    assert.equal(row(d, id).opened, null, 'the plaintext is dropped once decided');
    assert.match(row(d, id).raw.toString('utf8'), PGP_BLOCK);
  });

  it('drops the plaintext of a held encrypted post that is rejected, or that expires', async function () {
    const d = await list();
    const rejected = await heldEncrypted(d);
    const expiring = await heldEncrypted(d);
    await d.command(rejected.mail, 'REJECT Not for this list\n');
    assert.equal(row(d, rejected.id).opened, null);
    assert.ok(row(d, expiring.id).opened, 'the other one still waits');

    d.clock.set(new Date(d.clock.now().getTime() + 15 * DAY));
    const result = runExpiry(d.ctx);
    assert.equal(result.heldExpired, 1);
    assert.equal(row(d, expiring.id).opened, null);
  });

  it('opens the thread of a returned encrypted moderator post sent with SEND decrypted, then drops the plaintext', async function () {
    const d = await list();
    const { id, mail } = await returnedEncrypted(d);
    assert.ok(row(d, id).opened?.toString('utf8').includes(SECRET_TEXT), 'kept for SEND');

    const before = d.mark();
    const r = await d.command(mail, 'SEND\n');
    assert.equal(r.outcome, 'moderator-command');
    const copy = await d.find(ALPHA.address, /\[#1\]/, before);
    assert.match(copy.subject, /CVE-2026-0001/, 'the protected Subject');
    assert.ok(copy.text.includes(SECRET_TEXT), copy.text);
    assert.doesNotMatch(copy.text, PGP_BLOCK);
    assert.equal(d.disclosure(1).opened_by, MODERATOR);

    assert.equal(row(d, id).opened, null, 'the plaintext is dropped once sent');
  });

  it('drops the plaintext of a returned encrypted post when its send token expires unused, and only then', async function () {
    const d = await list();
    const { id } = await returnedEncrypted(d);
    d.clock.set(new Date(d.clock.now().getTime() + 2 * DAY));
    runExpiry(d.ctx);
    assert.ok(row(d, id).opened, 'the token (policy.tokenDays: 3) still serves');
    d.clock.set(new Date(d.clock.now().getTime() + 2 * DAY));
    runExpiry(d.ctx);
    assert.equal(row(d, id).opened, null);
  });

  it('keeps no plaintext for clear mail, for decrypted mail handled at once, or for a held post APPROVE cannot relay', async function () {
    const d = await list();
    // Clear: held (a stranger) and returned (a moderator without an end).
    const clearHeld = await d.receive(listMail({ from: STRANGER, subject: 'Clear', body: 'Buy it now.\n' }));
    assert.equal(clearHeld.outcome, 'hold');
    const clearReturned = await d.post({ from: MODERATOR, subject: OPENING_SUBJECT, body: `${SECRET_TEXT}\n` });
    assert.equal(clearReturned.outcome, 'open-disclosure');
    assert.equal(d.disclosures().length, 0, 'returned, not opened');
    // Decrypted and relayed at once: a moderator's encrypted disclosure with an end.
    const end = new Date(d.clock.now().getTime() + 3 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const opened = await d.receive(
      encryptedMail(
        { from: MODERATOR, to: LIST_ADDRESS },
        encrypt(moderator, inner(OPENING_SUBJECT, `Embargo: ${end}\n\n${SECRET_TEXT}\n`), true),
      ),
    );
    assert.equal(d.disclosures().length, 1, 'opened at once');
    // Decrypted and held, but sent to the requests address: only REJECT and DISCARD apply.
    const notRelayable = await heldEncrypted(d, REQUESTS_ADDRESS);
    assert.equal(d.ctx.db.prepare('SELECT relayable FROM held WHERE inbound_id = ?').pluck().get(notRelayable.id), 0);

    for (const id of [clearHeld.inboundId, clearReturned.inboundId, opened.inboundId, notRelayable.id])
      assert.equal(row(d, id).opened, null, `inbound ${id}`);
    assert.equal(d.ctx.db.prepare('SELECT count(*) FROM inbound WHERE opened_raw IS NOT NULL').pluck().get(), 0);
  });
});
