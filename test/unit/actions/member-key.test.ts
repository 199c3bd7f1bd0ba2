/**
 * OpenPGP keys that arrive by mail (actions/member-key), through processRaw with keys GnuPG made:
 * a member's key sent to the requests address waits for a CONFIRM whose token only travels in the
 * mail encrypted to that key; every way of getting it wrong is answered and changes nothing; a
 * join request's key is shown to the moderators and becomes the alias's key at the subscription.
 */
import assert from 'node:assert/strict';
import { addMembers, MODERATORS, REQUESTS_ADDRESS, trustedAuthConfig } from '../../helpers/context';
import { GpgHome, requireGpg } from '../../helpers/gpg';
import {
  ALIAS,
  APPLICANT,
  authenticated,
  joinRequest,
  Membership,
  MODERATOR,
  reply,
  type Sent,
} from '../../helpers/membership';
import { makeGpgKeys, type GpgKeys } from '../../helpers/openpgp-keys';
import { openpgp } from '../../../src/openpgp/lib';
import { describeKey } from '../../../src/openpgp/keys';
import { putKey } from '../../../src/store/keys';
import { uniqueId } from '../../helpers/mail-factory';

const MEMBER = 'security@member.example';
const CRLF = '\r\n';

/** A mail with each key as an application/pgp-keys attachment (or `pasted` into the text). */
function keyMail(o: {
  from: string;
  keys?: (string | Buffer)[];
  pasted?: string;
  auth?: string | null;
  body?: string;
  subject?: string;
  headers?: string[];
}): Buffer {
  const boundary = `b-${uniqueId('k')}`;
  const domain = o.from.slice(o.from.indexOf('@') + 1);
  const head = [
    ...(o.auth === null ? [] : [o.auth ?? authenticated(domain)]),
    `From: ${o.from}`,
    `To: ${REQUESTS_ADDRESS}`,
    `Subject: ${o.subject ?? 'Our OpenPGP key'}`,
    `Date: ${new Date('2026-11-26T11:00:00Z').toUTCString()}`,
    `Message-ID: <${uniqueId('key')}@${domain}>`,
    ...(o.headers ?? []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ];
  const parts = [
    [
      'Content-Type: text/plain; charset=utf-8',
      '',
      `${o.body ?? 'Please use this key for our copies.'}\n${o.pasted ?? ''}`.replace(/\r?\n/g, CRLF),
    ].join(CRLF),
    ...(o.keys ?? []).map((k, i) =>
      typeof k === 'string'
        ? [
            'Content-Type: application/pgp-keys',
            `Content-Disposition: attachment; filename="key${i}.asc"`,
            '',
            k.replace(/\r?\n/g, CRLF),
          ].join(CRLF)
        : [
            'Content-Type: application/pgp-keys',
            `Content-Disposition: attachment; filename="key${i}.gpg"`,
            'Content-Transfer-Encoding: base64',
            '',
            k.toString('base64').replace(/.{76}/g, `$&${CRLF}`),
          ].join(CRLF),
    ),
  ];
  return Buffer.from(
    [...head, '', ...parts.map((p) => `--${boundary}${CRLF}${p}`), `--${boundary}--`, ''].join(CRLF),
    'utf8',
  );
}

const TOKEN = /tk-([a-z2-7]{26})/;

describe('actions/member-key: OpenPGP keys by mail (through processRaw, keys made by GnuPG)', function () {
  this.timeout(60_000);
  let keys: GpgKeys;
  let h: Membership;

  before(function () {
    this.timeout(60_000);
    requireGpg();
    keys = makeGpgKeys();
  });
  after(() => keys?.home.cleanup());

  beforeEach(() => {
    h = new Membership(`${trustedAuthConfig()}\nopenpgp: { enabled: true }\n`);
    // The keys were made by gpg just now: a clock before their creation would see no valid key.
    h.clock.set(new Date());
    addMembers(h.ctx, MEMBER);
  });

  const pending = () =>
    h.ctx.db.prepare('SELECT * FROM openpgp_pending_keys').all() as { token: string; fingerprint: string }[];
  const memberKey = (address = MEMBER) =>
    h.ctx.db
      .prepare("SELECT fingerprint, added_by FROM openpgp_keys WHERE owner_kind = 'member' AND address = ?")
      .get(address) as { fingerprint: string; added_by: string } | undefined;
  const encryptTo = (message: number) =>
    h.ctx.db.prepare('SELECT recipient, encrypt_to FROM outbox WHERE message = ?').all(message) as {
      recipient: string;
      encrypt_to: string | null;
    }[];

  /** The member sends the good key; returns the confirmation mail and its token (read as the key's holder would). */
  async function sendGoodKey(): Promise<{ confirm: Sent; token: string }> {
    const before = h.mark();
    const result = await h.receive(keyMail({ from: MEMBER, keys: [keys.good.armored] }));
    assert.equal(result.outcome, 'member-key');
    const confirm = await h.find(MEMBER, /Confirm your OpenPGP key/, before);
    const token = TOKEN.exec(confirm.text)?.[1];
    assert.ok(token, 'the confirmation carries a token in its text');
    return { confirm, token };
  }

  it('a member key sent by an authenticated member waits, and its confirmation is queued encrypted to that key only, the token in no Message-ID', async () => {
    const { confirm, token } = await sendGoodKey();
    assert.deepEqual(confirm.to, [MEMBER]);
    assert.deepEqual(encryptTo(confirm.id), [{ recipient: MEMBER, encrypt_to: keys.good.fingerprint }]);
    assert.equal(confirm.token, null, 'no token in the Message-ID: the reply headers of a stranger cannot carry it');
    assert.ok(!confirm.messageId.includes(token));
    assert.match(confirm.text, new RegExp(keys.good.fingerprint.slice(0, 4)));
    assert.match(confirm.text, /^ {2}CONFIRM$/m);
    assert.deepEqual(
      pending().map((p) => p.fingerprint),
      [keys.good.fingerprint],
    );
    assert.equal(h.token(token)!.purpose, 'key');
    assert.equal(memberKey(), undefined, 'nothing changes before the confirmation');
    assert.ok(h.auditActions().includes('member.key-pending'));
  });

  it("CONFIRM from the member with the token quoted makes it the member's key; the member and the moderators are told; a replay is refused", async () => {
    const { confirm, token } = await sendGoodKey();
    const before = h.mark();
    const answer = reply({ from: MEMBER, to: confirm, body: `CONFIRM\n\n> tk-${token}\n`, subject: 'Re: ...' });
    const result = await h.receive(answer);
    assert.equal(result.outcome, 'key-confirmation');
    assert.equal(memberKey()?.fingerprint, keys.good.fingerprint);
    assert.match(memberKey()!.added_by, /by mail/);
    const added = await h.find(MEMBER, /Your OpenPGP key is in use/, before);
    assert.match(added.text, /encrypts the disclosure mail/);
    const told = await h.find(MODERATOR, /New OpenPGP key for security@member\.example/, before);
    assert.deepEqual(told.to, MODERATORS);
    assert.doesNotMatch(told.text, /KEY_UID_MISMATCH/, 'the key names the member');
    assert.ok(h.token(token)!.used_at);
    assert.ok(h.auditActions().includes('member.key-add'));

    const again = h.mark();
    await h.receive(reply({ from: MEMBER, to: confirm, body: `CONFIRM\n\n> tk-${token}\n`, subject: 'Re: ...' }));
    const refused = await h.find(MEMBER, /.*/, again);
    assert.equal(refused.purpose, 'requester.notice.confirmation-problem');
  });

  it('the token in the subject (a client showing the protected subject) counts too', async () => {
    const { confirm, token } = await sendGoodKey();
    await h.receive(
      reply({ from: MEMBER, to: confirm, body: 'CONFIRM\n', subject: `Re: Confirm your OpenPGP key (tk-${token})` }),
    );
    assert.equal(memberKey()?.fingerprint, keys.good.fingerprint);
  });

  it('the token answered from another address, without CONFIRM, or without the token is refused, and the key is not taken', async () => {
    const { confirm, token } = await sendGoodKey();
    const before = h.mark();
    await h.receive(reply({ from: 'intruder@member.example', to: confirm, body: `CONFIRM\n> tk-${token}\n` }));
    await h.receive(reply({ from: MEMBER, to: confirm, body: `Looks fine.\n> tk-${token}\n` }));
    const noToken = await h.receive(reply({ from: MEMBER, to: confirm, body: 'CONFIRM\n', subject: 'Re: ...' }));
    assert.notEqual(noToken.outcome, 'key-confirmation', 'In-Reply-To alone proves nothing');
    assert.equal(memberKey(), undefined);
    assert.equal(h.token(token)!.used_at, null);
    const problems = (await h.sent(before)).filter((m) => m.purpose === 'requester.notice.confirmation-problem');
    assert.equal(problems.length, 2);
    assert.match(problems[0]!.text, /intruder@member\.example/);
    assert.deepEqual(problems[0]!.to, ['intruder@member.example']);
  });

  it('an expired confirmation is refused', async () => {
    const { confirm, token } = await sendGoodKey();
    h.clock.advance(8 * 86_400_000);
    await h.receive(reply({ from: MEMBER, to: confirm, body: `CONFIRM\n> tk-${token}\n` }));
    assert.equal(memberKey(), undefined);
  });

  it('an unauthenticated mail (anyone can write the From) is answered and nothing waits', async () => {
    const before = h.mark();
    const result = await h.receive(keyMail({ from: MEMBER, keys: [keys.good.armored], auth: null }));
    assert.equal(result.outcome, 'member-key');
    const sent = await h.sent(before);
    assert.deepEqual(
      sent.map((m) => [m.purpose, m.to]),
      [['member.notice.key-refused', [MEMBER]]],
    );
    assert.match(sent[0]!.text, /KEY_SENDER_UNAUTHENTICATED/);
    assert.deepEqual(pending(), []);
    assert.ok(!h.tokens().some((t) => t.purpose === 'key'));
  });

  it('a list that does not encrypt (openpgp.enabled off) keeps no member keys and says so', async () => {
    h = new Membership();
    h.clock.set(new Date());
    addMembers(h.ctx, MEMBER);
    const before = h.mark();
    await h.receive(keyMail({ from: MEMBER, keys: [keys.good.armored] }));
    assert.match((await h.find(MEMBER, /not taken/, before)).text, /KEY_NOT_USED/);
    assert.deepEqual(pending(), []);
  });

  it('an authentication result for another domain does not count', async () => {
    await h.receive(keyMail({ from: MEMBER, keys: [keys.good.armored], auth: authenticated('attacker.example') }));
    assert.deepEqual(pending(), []);
  });

  for (const [name, code, pick] of [
    ['a secret key', 'KEY_IS_SECRET', (k: GpgKeys) => k.good.secret],
    ['an expired key', 'KEY_EXPIRED', (k: GpgKeys) => k.expired.armored],
    ['a revoked key', 'KEY_REVOKED', (k: GpgKeys) => k.revoked.armored],
    ['a key that cannot encrypt', 'KEY_NO_ENCRYPTION', (k: GpgKeys) => k.signOnly.armored],
    [
      'garbage in a pgp-keys part',
      'KEY_UNREADABLE',
      () => '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n',
    ],
  ] as const) {
    it(`${name} is refused with ${code}, told to the member, and nothing waits`, async () => {
      const before = h.mark();
      await h.receive(keyMail({ from: MEMBER, keys: [pick(keys)] }));
      const sent = await h.sent(before);
      assert.deepEqual(
        sent.map((m) => m.purpose),
        ['member.notice.key-refused'],
      );
      assert.match(sent[0]!.text, new RegExp(code));
      if (code === 'KEY_IS_SECRET') assert.match(sent[0]!.text, /treat that secret key as exposed/);
      assert.deepEqual(pending(), []);
      assert.equal(memberKey(), undefined);
    });
  }

  it('two different keys are refused (KEY_MULTIPLE); the same key attached and pasted is one key', async () => {
    const before = h.mark();
    await h.receive(keyMail({ from: MEMBER, keys: [keys.good.armored, keys.elsewhere.armored] }));
    assert.match((await h.find(MEMBER, /not taken/, before)).text, /KEY_MULTIPLE/);
    assert.deepEqual(pending(), []);
    const result = await h.receive(keyMail({ from: MEMBER, keys: [keys.good.binary], pasted: keys.good.armored }));
    assert.equal(result.outcome, 'member-key');
    assert.deepEqual(
      pending().map((p) => p.fingerprint),
      [keys.good.fingerprint],
    );
  });

  it('the key already in use is answered as such, with no confirmation', async () => {
    const { confirm, token } = await sendGoodKey();
    await h.receive(reply({ from: MEMBER, to: confirm, body: `CONFIRM\n> tk-${token}\n` }));
    const before = h.mark();
    await h.receive(keyMail({ from: MEMBER, keys: [keys.good.armored] }));
    const sent = await h.sent(before);
    assert.deepEqual(
      sent.map((m) => m.purpose),
      ['member.notice.key-refused'],
    );
    assert.match(sent[0]!.text, /already encrypts your disclosure mail to\s+this key/);
  });

  it("a stranger's mail with a key is a join request, never a member's key", async () => {
    const result = await h.receive(keyMail({ from: 'someone@elsewhere.example', keys: [keys.elsewhere.armored] }));
    assert.equal(result.outcome, 'join-request');
    assert.deepEqual(pending(), []);
  });

  it("a token of another purpose in a reply's text is nobody's: only key tokens are read from the text", async () => {
    const moderation = await h.submit();
    // The moderation token quoted in the text of a new mail (no In-Reply-To, no subject token) is not a command.
    const quoted = await h.receive(
      reply({ from: MODERATOR, body: `APPROVE\n> tk-${moderation.token}\n`, auth: authenticated('example.org') }),
    );
    assert.notEqual(quoted.outcome, 'moderator-command');
    assert.equal(h.request(1).state, 'moderation');
  });

  describe("the moderators' own mail", () => {
    it('goes encrypted to a moderator with a registered key (every kind), in the clear to one without', async () => {
      const info = await describeKey(await openpgp.readKey({ armoredKey: keys.elsewhere.armored }), h.ctx.clock());
      putKey(h.ctx.db, 'moderator', MODERATOR, info, h.ctx.clock().toISOString(), 'test');
      const moderation = await h.submit();
      assert.deepEqual(encryptTo(moderation.id), [
        { recipient: MODERATORS[0], encrypt_to: keys.elsewhere.fingerprint },
        { recipient: MODERATORS[1], encrypt_to: null },
      ]);
      // The applicant's acknowledgement is nobody's moderator mail: clear.
      const ack = (await h.sent()).find((m) => m.purpose === 'applicant.notice.request-received')!;
      assert.deepEqual(encryptTo(ack.id), [{ recipient: APPLICANT, encrypt_to: null }]);
    });

    it('stays in the clear while encryption is off (openpgp.enabled off), key or not', async () => {
      h = new Membership();
      h.clock.set(new Date());
      const info = await describeKey(await openpgp.readKey({ armoredKey: keys.elsewhere.armored }), h.ctx.clock());
      putKey(h.ctx.db, 'moderator', MODERATOR, info, h.ctx.clock().toISOString(), 'test');
      const moderation = await h.submit();
      assert.ok(encryptTo(moderation.id).every((r) => r.encrypt_to === null));
    });
  });

  describe('a join request that carries a key', () => {
    let aliasKey: GpgHome;

    before(function () {
      this.timeout(30_000);
      aliasKey = new GpgHome().generate(`Seven PSIRT <${ALIAS}>`);
    });
    after(() => aliasKey?.cleanup());

    const withKey = (key: string): Buffer => {
      const plain = joinRequest().toString('utf8');
      return Buffer.from(plain.replace(/\r\n\r\n/, `\r\n\r\n`) + `\r\n${key.replace(/\r?\n/g, '\r\n')}`, 'utf8');
    };

    it("shows the key to the moderators (a user ID that names the alias: no flag) and makes it the alias's key at the subscription", async () => {
      const moderation = await h.submit(withKey(aliasKey.publicKey()));
      assert.match(moderation.text, /OpenPGP key sent with the request:/);
      assert.match(moderation.text, new RegExp(aliasKey.fingerprint.slice(0, 4)));
      assert.match(moderation.text, /User ID: +Seven PSIRT <security@seven-corp\.example>/);
      assert.doesNotMatch(moderation.text, /KEY_UID_MISMATCH/);
      const before = h.mark();
      await h.command(moderation, 'APPROVE\n');
      const confirm = await h.find(ALIAS, /Confirm subscription of/, before);
      await h.receive(reply({ from: ALIAS, to: confirm, body: 'CONFIRM\n' }));
      assert.equal(memberKey(ALIAS)?.fingerprint, aliasKey.fingerprint);
      assert.match(memberKey(ALIAS)!.added_by, /join request #1/);
      const welcome = await h.find(ALIAS, /Welcome/, before);
      assert.match(welcome.text, /encrypted to the OpenPGP key/);
      assert.match((await h.find(MODERATOR, /subscribed/, before)).text, /is now its key/);
    });

    it('never replaces a key the alias already has: a join request proves nobody holds the key it carries', async () => {
      const info = await describeKey(await openpgp.readKey({ armoredKey: keys.good.armored }), h.ctx.clock());
      addMembers(h.ctx, ALIAS);
      putKey(h.ctx.db, 'member', ALIAS, info, h.ctx.clock().toISOString(), 'operator');
      const moderation = await h.submit(withKey(aliasKey.publicKey()));
      const before = h.mark();
      await h.command(moderation, 'APPROVE\n');
      const confirm = await h.find(ALIAS, /Confirm subscription of/, before);
      await h.receive(reply({ from: ALIAS, to: confirm, body: 'CONFIRM\n' }));
      assert.equal(memberKey(ALIAS)?.fingerprint, keys.good.fingerprint, 'the key on file stays');
      assert.doesNotMatch((await h.find(ALIAS, /Welcome/, before)).text, /encrypted to the OpenPGP key/);
    });

    it('flags a key whose user IDs do not name the alias', async () => {
      const moderation = await h.submit(withKey(keys.elsewhere.armored));
      assert.match(moderation.text, /KEY_UID_MISMATCH/);
      assert.match(moderation.text, /someone@elsewhere\.example/);
    });

    it('a refused key is told to the applicant and the moderators, and no key is stored at the subscription', async () => {
      const before = h.mark();
      const moderation = await h.submit(withKey(keys.expired.armored));
      assert.match(moderation.text, /not taken\s+- \[KEY_EXPIRED\]/);
      const ack = await h.find(APPLICANT, /Your request to join/, before);
      assert.match(ack.text, /KEY_EXPIRED/);
      const after = h.mark();
      await h.command(moderation, 'APPROVE\n');
      const confirm = await h.find(ALIAS, /Confirm subscription of/, after);
      await h.receive(reply({ from: ALIAS, to: confirm, body: 'CONFIRM\n' }));
      assert.equal(h.member(ALIAS)?.status, 'active');
      assert.equal(memberKey(ALIAS), undefined);
    });
  });
});
