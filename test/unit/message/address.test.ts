import assert from 'node:assert/strict';
import {
  domainOf,
  isAddress,
  localPartOf,
  normalizeAddress,
  normalizeDomain,
  parseAddressList,
  sameAddress,
} from '../../../src/message/address';

describe('message/address', () => {
  describe('parseAddressList', () => {
    it('returns every mailbox with its name, addresses lower-cased', () => {
      assert.deepEqual(parseAddressList('Alice Example <Alice@Example.ORG>, bob@example.org'), [
        { name: 'Alice Example', address: 'alice@example.org' },
        { name: '', address: 'bob@example.org' },
      ]);
    });

    it('flattens groups', () => {
      assert.deepEqual(
        parseAddressList('team: a@example.org, B@Example.org;, c@example.org').map((a) => a.address),
        ['a@example.org', 'b@example.org', 'c@example.org'],
      );
    });

    it('returns nothing for an empty or missing value', () => {
      assert.deepEqual(parseAddressList(undefined), []);
      assert.deepEqual(parseAddressList(''), []);
    });

    it('drops entries that are not addresses', () => {
      assert.deepEqual(
        parseAddressList('just a name, undisclosed-recipients:;, <no-at-sign>, ok@example.org').map((a) => a.address),
        ['ok@example.org'],
      );
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
      for (const bad of [
        'security@localhost',
        '@example.org',
        'security.example.org',
        'a@b@example.org',
        'a@example.',
      ]) {
        assert.equal(isAddress(bad), false, bad);
      }
    });

    it('refuses an address with spaces, brackets or control characters', () => {
      for (const bad of [
        'a b@example.org',
        '<a@example.org>',
        'a@example.org\r\nBcc: x@evil.example',
        'a\u0000@example.org',
        'a(b)@example.org',
      ]) {
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

  describe('localPartOf and domainOf', () => {
    it('split an address at its @', () => {
      assert.equal(localPartOf('jane+x@Example.ORG'), 'jane+x');
      assert.equal(domainOf('jane+x@Example.ORG'), 'Example.ORG');
    });

    it('split at the last @, so a quoted local part that holds an @ keeps it and the domain is the real one', () => {
      assert.equal(localPartOf('"a@b"@evil.example'), '"a@b"');
      assert.equal(domainOf('"a@b"@evil.example'), 'evil.example');
      assert.equal(domainOf('victim@trusted.example@evil.example'), 'evil.example');
    });

    it('give text without an @ back as all local part and no domain', () => {
      assert.equal(localPartOf('postmaster'), 'postmaster');
      assert.equal(domainOf('postmaster'), '');
      assert.equal(localPartOf(''), '');
      assert.equal(domainOf(''), '');
    });

    it('give an empty local part for "@domain" and an empty domain for "local@"', () => {
      assert.equal(localPartOf('@example.org'), '');
      assert.equal(domainOf('@example.org'), 'example.org');
      assert.equal(domainOf('local@'), '');
    });
  });

  describe('normalizeDomain', () => {
    it('lower-cases, trims and drops one trailing dot', () => {
      assert.equal(normalizeDomain('  Mail.Example.ORG. '), 'mail.example.org');
    });

    it('writes an internationalized domain as its A-label', () => {
      assert.equal(normalizeDomain('Bücher.example'), 'xn--bcher-kva.example');
      assert.equal(normalizeDomain('xn--bcher-kva.example'), 'xn--bcher-kva.example');
    });

    it('gives "" for what is not a domain: empty, an address, spaces, forbidden characters', () => {
      assert.equal(normalizeDomain(''), '');
      assert.equal(normalizeDomain('.'), '');
      assert.equal(normalizeDomain('a@example.org'), '');
      assert.equal(normalizeDomain('exa mple.org'), '');
      assert.equal(normalizeDomain('example.org\r\nBcc: x@y.z'), '');
      assert.equal(normalizeDomain('exa<mple>.org'), '');
    });
  });

  describe('isAddress, the one validator of what a mail names', () => {
    it('accepts a Unicode local part, as a DSN\'s "utf-8;" recipient writes it', () => {
      assert.ok(isAddress('jörg@example.de'));
    });
  });
});
