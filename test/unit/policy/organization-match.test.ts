import assert from 'node:assert/strict';
import { membersWithOrganization, organizationFindings, organizationKey } from '../../../src/policy/organization-match';

const MEMBERS = [
  { address: 'security@acme.example', organization: 'ACME, Inc.' },
  { address: 'psirt@seven-corp.example', organization: 'Seven-Corp' },
  { address: 'secure@zurich.example', organization: 'Zürich Versicherungs-Gesellschaft AG' },
  { address: 'cert@redhat.example', organization: 'Red Hat' },
];

describe('policy/organization-match', () => {
  describe("an applicant's organization that a member already has", () => {
    const borrowed: [string, string, string][] = [
      ['the same name', 'ACME, Inc.', 'security@acme.example'],
      ['another case and no punctuation', 'acme inc', 'security@acme.example'],
      ['the legal form left out', 'Acme', 'security@acme.example'],
      ['another legal form', 'Acme Corporation', 'security@acme.example'],
      ['"The" in front', 'The ACME Company', 'security@acme.example'],
      ['runs of spaces and a trailing dot', '  ACME    Inc. ', 'security@acme.example'],
      ['a hyphen for the space', 'Seven Corp', 'psirt@seven-corp.example'],
      ['no space at all', 'SevenCorp', 'psirt@seven-corp.example'],
      ['full-width letters', '\uff21\uff23\uff2d\uff25', 'security@acme.example'],
      ['a Cyrillic look-alike letter', '\u0410cme Inc', 'security@acme.example'],
      ['Cyrillic look-alike capitals (Dze for S, Ie)', '\u0405\u0415VEN Corp', 'psirt@seven-corp.example'],
      ['Cyrillic look-alike small letters', 'r\u0435d h\u0430t', 'cert@redhat.example'],
      ['a zero-width space inside', 'Red\u200b Hat', 'cert@redhat.example'],
      ['the accent left out', 'Zurich Versicherungs Gesellschaft', 'secure@zurich.example'],
      ['the legal form left out of a hyphenated name', 'Seven', 'psirt@seven-corp.example'],
    ];
    for (const [what, claimed, member] of borrowed) {
      it(`is found with ${what} ("${claimed}")`, () => {
        assert.deepEqual(
          membersWithOrganization(claimed, MEMBERS).map((m) => m.address),
          [member],
        );
      });
    }

    it("is flagged as a warning that names the member's alias and organization", () => {
      const [finding] = organizationFindings('Acme Inc', MEMBERS);
      assert.equal(finding!.code, 'ORGANIZATION_OF_MEMBER');
      assert.equal(finding!.severity, 'warn');
      assert.match(finding!.message, /security@acme\.example \("ACME, Inc\."\)/);
    });

    it('names every member that has it', () => {
      const members = [...MEMBERS, { address: 'product-security@acme.example', organization: 'Acme' }];
      assert.deepEqual(
        membersWithOrganization('ACME', members).map((m) => m.address),
        ['product-security@acme.example', 'security@acme.example'],
      );
    });
  });

  describe('no false hits', () => {
    const distinct = [
      'Acme Labs',
      'Acmeco Systems',
      'Seventh Corp',
      'Seven Bridges',
      'Red Hatchery',
      'Zurich Airport',
      'Inc',
      'Corp',
      'A',
      'AB Inc',
      '',
      '   ',
      '---',
    ];
    for (const name of distinct) {
      it(`"${name}" matches none of the members`, () => {
        assert.deepEqual(membersWithOrganization(name, MEMBERS), []);
        assert.deepEqual(organizationFindings(name, MEMBERS), []);
      });
    }

    it('gives no key to a name with nothing distinctive (a legal form alone, one or two letters)', () => {
      for (const name of ['Inc.', 'GmbH', 'X', 'AB', '', '!!!']) assert.equal(organizationKey(name), '', name);
    });

    it('finds nothing for a request that names no organization', () => {
      assert.deepEqual(organizationFindings(null, MEMBERS), []);
    });
  });
});
