import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseMembershipTable, renderMembershipTable, type TableRow } from '../../../src/admin/membership-table';

const FIXTURE = fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'membership-table.md'), 'utf8');

const POLICY_ROWS: TableRow[] = [
  { address: 'istio-security-team-inbox@aspenmesh.io', organization: 'Aspen Mesh' },
  { address: 'istio-security@redhat.com', organization: 'RedHat' },
  { address: 'argoprod@us.ibm.com', organization: 'IBM' },
  { address: 'istio-security-vulnerability-notifications@google.com', organization: 'Google' },
  { address: 'security@rancher.com', organization: 'Rancher Labs' },
  { address: 'istio-security@huawei.com', organization: 'Huawei' },
];

describe('admin/membership-table', () => {
  describe('parseMembershipTable', () => {
    it("reads the policy document's Membership table as its six rows, in order", () => {
      assert.deepEqual(parseMembershipTable(FIXTURE), { rows: POLICY_ROWS, skipped: [] });
    });

    it('skips the header and separator rows, however they are aligned, and every line outside the table', () => {
      const text = [
        '# Title',
        'Some | text with a pipe',
        '',
        '| email | organization |',
        '|:---|---:|',
        '| :---: | :---: |',
        '| security@acme.example | Acme |',
      ].join('\n');
      assert.deepEqual(parseMembershipTable(text), {
        rows: [{ address: 'security@acme.example', organization: 'Acme' }],
        skipped: [],
      });
    });

    it('reports a row whose first cell is not an address, or whose organization is empty, in skipped', () => {
      const text = [
        '| Email | Organization |',
        '| --- | --- |',
        '| security@acme.example | Acme |',
        '| not an address | Nobody Inc |',
        '| psirt@empty.example |  |',
      ].join('\r\n');
      const { rows, skipped } = parseMembershipTable(text);
      assert.deepEqual(rows, [{ address: 'security@acme.example', organization: 'Acme' }]);
      assert.deepEqual(skipped, ['| not an address | Nobody Inc |', '| psirt@empty.example |  |']);
    });

    it('reads addresses written as <address>, mailto: or a Markdown link, lower-cased', () => {
      const text = [
        '| <PSIRT@Acme.example> | Acme |',
        '| mailto:security@beta.example | Beta |',
        '| [security@gamma.example](mailto:security@gamma.example) | Gamma |',
      ].join('\n');
      assert.deepEqual(
        parseMembershipTable(text).rows.map((r) => r.address),
        ['psirt@acme.example', 'security@beta.example', 'security@gamma.example'],
      );
    });
  });

  describe('renderMembershipTable', () => {
    it("writes the policy document's table exactly as it is written there", () => {
      const table = FIXTURE.slice(FIXTURE.indexOf('| Email'));
      assert.equal(renderMembershipTable(POLICY_ROWS), table);
    });

    it('round-trips: what it renders parses back to the same rows', () => {
      const { rows } = parseMembershipTable(FIXTURE);
      assert.deepEqual(parseMembershipTable(renderMembershipTable(rows)), { rows, skipped: [] });
    });

    it('renders an empty table as the header and separator only, which parse to no rows', () => {
      assert.deepEqual(parseMembershipTable(renderMembershipTable([])), { rows: [], skipped: [] });
    });

    it('round-trips an organization whose name holds a "|"', () => {
      const rows = [{ address: 'security@acme.example', organization: 'Acme | Cloud Division' }];
      assert.deepEqual(parseMembershipTable(renderMembershipTable(rows)), { rows, skipped: [] });
    });
  });
});
