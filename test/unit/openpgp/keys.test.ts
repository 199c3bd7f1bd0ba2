import assert from 'node:assert/strict';
import { openpgp } from '../../../src/openpgp/lib';
import {
  formatFingerprint,
  keyState,
  MAX_KEY_BYTES,
  readPublicKey,
  userIdAddress,
  userIdMatches,
} from '../../../src/openpgp/keys';
import { GpgHome } from '../../helpers/gpg';
import { makeGpgKeys, type GpgKeys, refusal } from '../../helpers/openpgp-keys';

const DAY = 86_400_000;

describe('openpgp/keys: reading a public key', () => {
  let k: GpgKeys;
  // After the keys are made: a key does not exist before its creation time.
  let now: Date;

  before(() => {
    k = makeGpgKeys();
    now = new Date();
  });
  after(() => k.home.cleanup());

  it("reads a GnuPG key: gpg's fingerprint, its user ID, its creation and the end of its encryption subkey", async () => {
    const info = await readPublicKey(k.good.armored, { now });
    assert.equal(info.fingerprint, k.good.fingerprint);
    assert.deepEqual(info.userIds, ['Sec <security@member.example>']);
    assert.ok(Math.abs(info.created.getTime() - now.getTime()) < DAY);
    assert.ok(info.expires !== null);
    const days = (info.expires.getTime() - now.getTime()) / DAY;
    assert.ok(days > 360 && days < 367, `expires in ${days} days`);
    assert.equal(info.revoked, false);
    assert.equal(await keyState(info.key, now), 'usable');
  });

  it('reads the binary export (gpg --export without --armor) as the same key', async () => {
    assert.equal((await readPublicKey(k.good.binary, { now })).fingerprint, k.good.fingerprint);
  });

  it('armors the public key again, alone, and GnuPG imports it with the same fingerprint', async () => {
    const info = await readPublicKey(`Here is my key:\n\n${k.good.armored}\n-- \nAlice\n`, { now });
    assert.match(info.armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.doesNotMatch(info.armored, /Alice|Here is/);
    const other = new GpgHome();
    try {
      other.ok(['--import'], info.armored);
      assert.match(other.ok(['--with-colons', '--list-keys']).stdout.toString(), new RegExp(k.good.fingerprint));
    } finally {
      other.cleanup();
    }
  });

  it('tells usable now from usable at a later date: the key is expired two years from now', async () => {
    const info = await readPublicKey(k.good.armored, { now });
    assert.equal(await keyState(info.key, new Date(now.getTime() + 2 * 365 * DAY)), 'expired');
  });

  it('refuses a secret key given as a public one, and says nothing of its content', async () => {
    const err = await refusal(readPublicKey(k.good.secret));
    assert.equal(err.code, 'KEY_IS_SECRET');
    assert.doesNotMatch(err.message, /BEGIN PGP|[A-Za-z0-9+/]{40}/);
  });

  it('refuses a secret key whose armor header claims a PUBLIC KEY BLOCK', async () => {
    const disguised = k.good.secret.replace(/PRIVATE KEY BLOCK/g, 'PUBLIC KEY BLOCK');
    assert.equal((await refusal(readPublicKey(disguised))).code, 'KEY_IS_SECRET');
  });

  it('refuses a public key followed by a secret one in the same file', async () => {
    assert.equal((await refusal(readPublicKey(`${k.good.armored}\n${k.good.secret}`))).code, 'KEY_IS_SECRET');
  });

  it('refuses two keys in one file, as two armored blocks or as one, naming both (it does not pick one)', async () => {
    const twoBlocks = await refusal(readPublicKey(`${k.good.armored}\n${k.elsewhere.armored}`));
    assert.equal(twoBlocks.code, 'KEY_MULTIPLE');
    assert.match(twoBlocks.message, new RegExp(`${k.good.fingerprint}.*${k.elsewhere.fingerprint}`));
    const oneBlock = k.home.ok(['--armor', '--export', k.good.fingerprint, k.elsewhere.fingerprint]).stdout;
    assert.equal((await refusal(readPublicKey(oneBlock))).code, 'KEY_MULTIPLE');
  });

  it('refuses garbage, an empty input and a truncated key as unreadable', async () => {
    for (const input of ['', '  \n\n', 'hello, this is my key', Buffer.from([0x99, 0x01, 0x02, 0x03])])
      assert.equal((await refusal(readPublicKey(input))).code, 'KEY_UNREADABLE', String(input));
    const truncated = k.good.armored.slice(0, Math.floor(k.good.armored.length / 2));
    assert.equal((await refusal(readPublicKey(truncated))).code, 'KEY_UNREADABLE');
  });

  it(`refuses an input larger than ${MAX_KEY_BYTES} bytes before parsing it`, async () => {
    const huge = k.good.armored + ' '.repeat(MAX_KEY_BYTES);
    assert.equal((await refusal(readPublicKey(huge))).code, 'KEY_TOO_LARGE');
  });

  it('finds that a signing-only key cannot be encrypted to', async () => {
    const info = await readPublicKey(k.signOnly.armored, { now });
    assert.equal(await keyState(info.key, now), 'no-encryption');
  });

  it('finds a key made in 2019 for one year expired', async () => {
    const info = await readPublicKey(k.expired.armored, { now });
    assert.equal(info.fingerprint, k.expired.fingerprint);
    assert.deepEqual(info.userIds, ['Old <old@member.example>']);
    assert.equal(await keyState(info.key, now), 'expired');
    assert.equal(await keyState(info.key, new Date('2019-06-01T00:00:00Z')), 'usable');
  });

  it('finds a key whose revocation certificate gpg imported revoked', async () => {
    const info = await readPublicKey(k.revoked.armored, { now });
    assert.equal(info.revoked, true);
    assert.equal(await keyState(info.key, now), 'revoked');
  });

  it('reads keys made by OpenPGP.js, and one it revoked', async () => {
    const { publicKey, privateKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ name: 'JS', email: 'js@member.example' }],
      format: 'object',
    });
    const info = await readPublicKey(publicKey.armor(), { now: new Date() });
    assert.deepEqual(info.userIds, ['JS <js@member.example>']);
    assert.equal(info.expires, null);
    assert.equal(await keyState(info.key, new Date()), 'usable');
    const { publicKey: revoked } = await openpgp.revokeKey({ key: privateKey, format: 'armored' });
    assert.equal(await keyState((await readPublicKey(revoked)).key, new Date()), 'revoked');
  });

  it('leaves out a user ID appended without a self-signature (anyone can append one)', async () => {
    const key = await openpgp.readKey({ armoredKey: k.good.armored });
    const packets = key.toPacketList();
    packets.push(openpgp.UserIDPacket.fromObject({ name: 'Forged', email: 'security@victim.example' }));
    const forged = openpgp.armor(openpgp.enums.armor.publicKey, packets.write());
    // OpenPGP.js itself lists it ...
    assert.ok(
      (await openpgp.readKey({ armoredKey: forged })).getUserIDs().includes('Forged <security@victim.example>'),
    );
    // ... we do not.
    const info = await readPublicKey(forged, { now });
    assert.equal(info.fingerprint, k.good.fingerprint);
    assert.deepEqual(info.userIds, ['Sec <security@member.example>']);
    assert.equal(userIdMatches(info.userIds, 'security@victim.example'), false);
  });

  it('matches a user ID to an address without regard to case, and not one of another domain', async () => {
    const info = await readPublicKey(k.elsewhere.armored, { now });
    assert.equal(userIdMatches(info.userIds, 'SOMEONE@Elsewhere.Example'), true);
    assert.equal(userIdMatches(info.userIds, 'someone@member.example'), false);
    assert.equal(userIdMatches(info.userIds, 'security@member.example'), false);
  });
});

describe('openpgp/keys: user IDs and fingerprints as text', () => {
  it('reads the address of "Name <address>" and of a bare address, and nothing else', () => {
    assert.equal(userIdAddress('Sec Team <Security@Member.Example>'), 'security@member.example');
    assert.equal(userIdAddress('security@member.example'), 'security@member.example');
    assert.equal(userIdAddress('Sec Team (no address)'), null);
    assert.equal(userIdAddress('Evil <a@b.example> <c@d.example>'), 'c@d.example');
    assert.equal(userIdAddress('security@member.example evil'), null);
  });

  it('groups a fingerprint by four for people to compare', () => {
    assert.equal(formatFingerprint('b5f2ad669df42218'), 'B5F2 AD66 9DF4 2218');
  });
});
