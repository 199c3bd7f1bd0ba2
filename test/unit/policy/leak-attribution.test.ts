import assert from 'node:assert/strict';
import { attributeLeak, CLAIM_MAX, sameOrganization, type MemberRef } from '../../../src/policy/leak-attribution';

const ALPHA: MemberRef = { address: 'psirt@alpha.example', organization: 'Alpha' };
const BETA: MemberRef = { address: 'security@beta.example', organization: 'Beta' };
const NEWCOMER: MemberRef = { address: 'security@newcomer.example', organization: ' BETA ' };
const GAMMA: MemberRef = { address: 'secure@gamma.example', organization: 'Gamma' };

const who = (reporter: MemberRef, claims: string[], members: MemberRef[] = [ALPHA, BETA, GAMMA]) => {
  const r = attributeLeak(reporter, claims, members);
  return [r.attribution, r.leaker?.address ?? null, r.candidates];
};

describe('policy/leak-attribution', () => {
  describe('sameOrganization', () => {
    it('takes names that differ in case, spaces, invisible characters, width, punctuation or a legal form as one', () => {
      for (const other of [
        'Beta',
        'BETA',
        ' beta ',
        'Be\u200bta',
        '\u00a0Beta\t',
        '\uff22\uff45\uff54\uff41',
        'Beta, Inc.',
        'B-eta',
      ])
        assert.ok(sameOrganization('Beta', other), JSON.stringify(other));
    });

    it('keeps different names apart, and never matches a name with nothing distinctive in it', () => {
      for (const other of ['Bet', 'Betamax', 'Delta']) assert.ok(!sameOrganization('Beta', other), other);
      assert.ok(!sameOrganization('', ''));
      assert.ok(!sameOrganization(' ', '\u200b'));
    });
  });

  describe('attributeLeak', () => {
    it('takes a report without "Leaked by:" as the reporter\'s own leak', () => {
      assert.deepEqual(who(BETA, []), ['self', BETA.address, []]);
      assert.deepEqual(who(BETA, ['', '   ']), ['self', BETA.address, []]);
    });

    it('takes the reporter\'s own alias, organization or "us" as its own leak, even when another member shares the organization', () => {
      for (const claim of [BETA.address, 'SECURITY@BETA.EXAMPLE', 'Beta', 'beta', 'us', 'We.', 'myself']) {
        assert.deepEqual(who(BETA, [claim], [ALPHA, BETA, NEWCOMER]), ['self', BETA.address, []], claim);
        assert.deepEqual(
          who(
            NEWCOMER,
            [claim === BETA.address || claim === 'SECURITY@BETA.EXAMPLE' ? NEWCOMER.address : claim],
            [ALPHA, BETA, NEWCOMER],
          ),
          ['self', NEWCOMER.address, []],
          claim,
        );
      }
    });

    it('names another member by alias, with a display name, in angle brackets or in another case', () => {
      for (const claim of [
        BETA.address,
        `<${BETA.address}>`,
        `Beta Security <${BETA.address.toUpperCase()}>`,
        `mailto:${BETA.address}`,
      ]) {
        assert.deepEqual(who(ALPHA, [claim]), ['named', BETA.address, []], claim);
      }
    });

    it('names another member by an organization only that member has', () => {
      assert.deepEqual(who(ALPHA, ['  GAMMA ']), ['named', GAMMA.address, []]);
    });

    it('resolves an organization several members share to none of them', () => {
      for (const claim of ['Beta', 'BETA', ' beta  ', 'Be\u200bta', 'Beta, Inc.']) {
        assert.deepEqual(
          who(GAMMA, [claim], [ALPHA, BETA, GAMMA, NEWCOMER]),
          ['ambiguous', null, [BETA.address, NEWCOMER.address]],
          claim,
        );
      }
    });

    it('resolves several members, or a member and a name nobody has, to none', () => {
      assert.deepEqual(who(ALPHA, [`${BETA.address}, ${GAMMA.address}`]), [
        'ambiguous',
        null,
        [GAMMA.address, BETA.address].sort(),
      ]);
      assert.deepEqual(who(ALPHA, [BETA.address, 'Gamma']), ['ambiguous', null, [GAMMA.address, BETA.address].sort()]);
      assert.deepEqual(who(ALPHA, [BETA.address, 'Delta']), ['ambiguous', null, [BETA.address]]);
      assert.deepEqual(who(ALPHA, [BETA.address, 'someone@outsider.example']), ['ambiguous', null, [BETA.address]]);
      assert.deepEqual(who(ALPHA, ['us', BETA.address]), ['ambiguous', null, [ALPHA.address, BETA.address]]);
    });

    it('agrees when every claim names the same member', () => {
      assert.deepEqual(who(ALPHA, [BETA.address, 'Beta']), ['named', BETA.address, []]);
    });

    it('resolves a name no active member has to nobody', () => {
      for (const claim of [
        'Delta',
        'someone@outsider.example',
        'security@beta.example.evil.example',
        'security@beta.exampl',
        'Betamax',
        'Acme (security@beta.example)',
      ]) {
        assert.deepEqual(who(ALPHA, [claim]), ['unknown', null, []], claim);
      }
    });

    it('keeps the claim to show, without controls or bidi overrides, and at most CLAIM_MAX characters', () => {
      assert.equal(attributeLeak(ALPHA, ['\u202eBeta\u202c\u001b[31m'], [ALPHA, BETA]).claim, 'Beta [31m');
      assert.equal(attributeLeak(ALPHA, ['Beta', 'Gamma'], [ALPHA, BETA, GAMMA]).claim, 'Beta; Gamma');
      const long = attributeLeak(ALPHA, ['x'.repeat(5000)], [ALPHA]).claim!;
      assert.equal(long.length, CLAIM_MAX);
      assert.equal(attributeLeak(ALPHA, [], [ALPHA]).claim, null);
    });
  });
});
