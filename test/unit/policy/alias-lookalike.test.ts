/** checkAlias: an alias whose domain wears a member's or a well-known domain as leading labels. */
import assert from 'node:assert/strict';
import { checkAlias, type AliasFinding, type AliasPolicy } from '../../../src/policy/corporate-alias';

const OPEN: AliasPolicy = { allowDomains: [], denyDomains: [], organizationDomains: {} };
const MEMBERS = ['security@corp.com', 'psirt@acme.example', 'secure@team.beta.co.uk'];

function lookalikes(alias: string, policy: AliasPolicy = OPEN): AliasFinding[] {
  const from = `jane@${alias.slice(alias.indexOf('@') + 1)}`;
  return checkAlias(
    { alias, fromAddress: from, fromName: 'Jane Doe', organization: 'Evil', memberDomains: MEMBERS },
    policy,
  ).filter((f) => f.code === 'ALIAS_LOOKALIKE_DOMAIN');
}

describe('policy/corporate-alias: look-alike domains', () => {
  const posingAsMember: [string, string][] = [
    ['security@corp.com.evil.example', 'corp.com'],
    ['security@acme.example.evil.example', 'acme.example'],
    ['security@security.acme.example.evil.example', 'acme.example'],
    ['psirt@beta.co.uk.attacker.example', 'beta.co.uk'],
    ['psirt@team.beta.co.uk.attacker.example', 'team.beta.co.uk'],
    ['security@CORP.COM.Evil.Example', 'corp.com'],
  ];
  for (const [alias, member] of posingAsMember) {
    it(`warns the moderators, not the applicant, that ${alias} wears the member domain ${member}`, () => {
      const warn = lookalikes(alias).filter((f) => f.severity === 'warn');
      assert.equal(warn.length, 1, JSON.stringify(lookalikes(alias)));
      assert.ok(warn[0]!.message.includes(`begins with ${member}, the domain of a member's alias`), warn[0]!.message);
    });
  }

  const posingAsWellKnown: [string, string, AliasPolicy?][] = [
    ['security@google.com.attacker.example', 'google.com'],
    ['security@gmail.com.attacker.example', 'gmail.com'],
    ['security@mail.paypal.co.uk.attacker.example', 'paypal.co.uk'],
    ['security@trusted.example.attacker.example', 'trusted.example', { ...OPEN, allowDomains: ['trusted.example'] }],
    ['security@istio.io.attacker.example', 'istio.io', { ...OPEN, organizationDomains: { Istio: ['istio.io'] } }],
  ];
  for (const [alias, known, policy] of posingAsWellKnown) {
    it(`blocks ${alias}, which poses as ${known}`, () => {
      const blocking = lookalikes(alias, policy).filter((f) => f.severity === 'block');
      assert.equal(blocking.length, 1, JSON.stringify(lookalikes(alias, policy)));
      assert.ok(blocking[0]!.message.includes(`not at ${known} as its name suggests`), blocking[0]!.message);
    });
  }

  it("tells the applicant the same whether or not the domain worn is a member's (membership is not disclosed)", () => {
    const applicantSees = (alias: string, members: string[]): string[] =>
      checkAlias(
        { alias, fromAddress: 'jane@evil.example', fromName: 'Jane Doe', organization: 'Evil', memberDomains: members },
        OPEN,
      )
        .filter((f) => f.severity === 'block')
        .map((f) => f.message);
    assert.deepEqual(
      applicantSees('security@corp.com.evil.example', ['security@corp.com']),
      applicantSees('security@corp.com.evil.example', []),
    );
    assert.deepEqual(
      applicantSees('security@acme.example.evil.example', ['psirt@acme.example']),
      applicantSees('security@acme.example.evil.example', []),
    );
  });

  const genuine = [
    'security@corp.com', // the member's own domain
    'security@team.corp.com', // a subdomain of it
    'security@evil.example',
    'psirt@us.security.acme-corp.example', // labels that are TLDs (us, security) but not legacy ones
    'security@mail.eu.example.org',
    'security@com.example', // "com" alone is no domain
    'security@acme-example.evil.example', // a hyphen is not a dot: out of scope, and no false hit
    'security@mail.com.au', // a registrable domain of its own, nothing to its left
  ];
  for (const alias of genuine) {
    it(`finds nothing of the kind in ${alias}`, () => {
      assert.deepEqual(lookalikes(alias), []);
    });
  }
});
