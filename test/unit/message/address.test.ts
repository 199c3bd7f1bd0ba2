import assert from 'node:assert/strict';
import { isAddress, normalizeAddress, parseAddressList, sameAddress } from '../../../src/message/address';

describe('message/address', () => {
  describe('parseAddressList', () => {
    it('returns every mailbox with its name, addresses lower-cased', () => {
      assert.deepEqual(parseAddressList('Alice Example <Alice@Example.ORG>, bob@example.org'), [
        { name: 'Alice Example', address: 'alice@example.org' },
        { name: '', address: 'bob@example.org' },
      ]);
    });

    it('flattens groups', () => {
      assert.deepEqual(parseAddressList('team: a@example.org, B@Example.org;, c@example.org').map((a) => a.address),
        ['a@example.org', 'b@example.org', 'c@example.org']);
    });

    it('returns nothing for an empty or missing value', () => {
      assert.deepEqual(parseAddressList(undefined), []);
      assert.deepEqual(parseAddressList(''), []);
    });

    it('drops entries that are not addresses', () => {
      assert.deepEqual(parseAddressList('just a name, undisclosed-recipients:;, <no-at-sign>, ok@example.org').map((a) => a.address), ['ok@example.org']);
    });

    it('takes the address in angle brackets, not one forged in the display name', () => {
      assert.deepEqual(parseAddressList('"alice@member.example" <mallory@evil.example>'), [
        { name: 'alice@member.example', address: 'mallory@evil.example' },
      ]);
    });
  });

  describe('isAddress', () => {
    it('accepts a plain addr-spec with a dotted domain', () => {
      assert.equal(isAddress('security@example.org'), true);
      assert.equal(isAddress('  first.last+tag@sub.example.co.uk '), true);
    });

    it('refuses an address without a dotted domain, local part, or @', () => {
      for (const bad of ['security@localhost', '@example.org', 'security.example.org', 'a@b@example.org', 'a@example.']) {
        assert.equal(isAddress(bad), false, bad);
      }
    });

    it('refuses an address with spaces, brackets or control characters', () => {
      for (const bad of ['a b@example.org', '<a@example.org>', 'a@example.org\r\nBcc: x@evil.example', 'a\u0000@example.org', 'a(b)@example.org']) {
        assert.equal(isAddress(bad), false, JSON.stringify(bad));
      }
    });
  });

  describe('normalizeAddress and sameAddress', () => {
    it('lower-cases and trims', () => {
      assert.equal(normalizeAddress('  Alice@Example.ORG '), 'alice@example.org');
    });

    it('says two spellings of one address in odd case are the same', () => {
      assert.equal(sameAddress('ALICE@example.org', ' alice@EXAMPLE.org'), true);
    });

    it('says two different addresses are not the same', () => {
      assert.equal(sameAddress('alice@example.org', 'alice@example.org.evil.example'), false);
    });

    it('says a missing address is the same as nothing, not even another missing one', () => {
      assert.equal(sameAddress(undefined, 'alice@example.org'), false);
      assert.equal(sameAddress(undefined, undefined), false);
    });
  });
});
