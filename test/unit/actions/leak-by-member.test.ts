/**
 * Issue 8, item 5 (borrowed organization): leaks are counted per member alias, never per
 * organization name; every leak and every proposal names who reported it; a member is never
 * proposed for removal on another alias's reports; a name several members share is resolved to
 * none of them.
 */
import assert from 'node:assert/strict';
import { removeMember } from '../../../src/store/members';
import { ALPHA, BETA, Disclosures, GAMMA, MEMBERS, type Opened, type TestMember } from '../../helpers/disclosures';
import { MODERATOR, type Sent } from '../../helpers/membership';

const LINES = 'What: the patch diff\nTo whom: a contractor at vendor.example\n';

/** The organization a newcomer gives, as an applicant borrowing BETA's name would write it. */
const BORROWED: [label: string, organization: string][] = [
  ['the same name', 'Beta'],
  ['the name in another case', 'BETA'],
  ['the name with extra spaces', '  Beta   '],
  ['the name with a no-break space and a zero-width space', '\u00a0Be\u200bta'],
  ['the name with punctuation and a legal form', 'Beta, Inc.'],
];

const newcomer = (organization: string): TestMember => ({ address: 'security@newcomer.example', organization });

describe('actions/leak-report: leaks counted per member alias', () => {
  let h: Disclosures;
  let threads: Opened[];

  async function start(members: readonly TestMember[]): Promise<void> {
    h = new Disclosures('', members);
    threads = [
      await h.open(),
      await h.open({ subject: 'CVE-2026-0002: another one' }),
      await h.open({ subject: 'CVE-2026-0003: a third' }),
    ];
  }

  /** A member's LEAK reply to the opening copy of thread `n` (1-based). */
  function leak(from: TestMember, n: number, body: string = LINES) {
    const t = threads[n - 1]!;
    return h.post({
      from: from.address,
      subject: `LEAK: ${t.copy.subject}`,
      body,
      inReplyTo: t.messageId,
      references: [t.messageId],
    });
  }

  const proposals = (after = 0): Promise<Sent[]> => h.mailsTo(MODERATOR, /Removal proposal/, after);
  const urgent = async (after: number): Promise<Sent> => h.find(MODERATOR, /URGENT: leak/, after);

  for (const [label, organization] of BORROWED) {
    describe(`a newcomer who joined under ${label} (${JSON.stringify(organization)})`, () => {
      const n = newcomer(organization);
      beforeEach(() => start([...MEMBERS, n]));

      it('sending two reports of its own is proposed itself; the real member, with one leak of its own, is never named', async () => {
        await leak(BETA, 1);
        await leak(n, 2);
        const before = h.mark();
        await leak(n, 3);
        const sent = await proposals();
        assert.equal(sent.length, 1, sent.map((m) => m.subject).join(' | '));
        const p = sent[0]!;
        assert.ok(p.id > before);
        assert.match(p.subject, /Removal proposal: security@newcomer\.example \(2 leaks\)$/);
        assert.match(p.text, /^ {2}REMOVE security@newcomer\.example repeated leaks: #2, #3$/m);
        assert.doesNotMatch(`${p.subject}\n${p.text}`, /security@beta\.example/);
        assert.doesNotMatch(p.text, /leak #1 /);
        assert.equal((p.text.match(/^ {4}Reported by: security@newcomer\.example /gm) ?? []).length, 2);
        assert.deepEqual(
          h.leaks().map((l) => [l.id, l.reporter, l.leaker, l.attribution]),
          [
            [1, BETA.address, BETA.address, 'self'],
            [2, n.address, n.address, 'self'],
            [3, n.address, n.address, 'self'],
          ],
        );
      });

      it('writing "Leaked by: <the real member\'s alias>" on two threads proposes nobody, and each urgent mail names the newcomer as reporter', async () => {
        for (const t of [1, 2]) {
          const before = h.mark();
          await leak(n, t, `Leaked by: ${BETA.address}\n${LINES}`);
          const u = await urgent(before);
          assert.match(u.subject, /by security@newcomer\.example \(tk-/);
          assert.match(u.text, /^ {2}Reported by: security@newcomer\.example \(.*\), in thread #\d$/m);
          assert.match(u.text, /^ {2}Leaked by: {3}security@beta\.example \(Beta\), as the reporter names it:$/m);
          assert.match(u.text, /counts for nobody/);
        }
        assert.deepEqual(
          h.leaks().map((l) => [l.reporter, l.leaker, l.attribution]),
          [
            [n.address, BETA.address, 'named'],
            [n.address, BETA.address, 'named'],
          ],
        );
        assert.deepEqual(await proposals(), []);
        await leak(BETA, 3);
        assert.deepEqual(await proposals(), [], 'the real member has one leak of its own');
      });

      it('writing "Leaked by: Beta" speaks of its own organization: counted against the newcomer, never the real member', async () => {
        await leak(n, 1, `Leaked by: Beta\n${LINES}`);
        await leak(n, 2, `Leaked by: Beta\n${LINES}`);
        assert.deepEqual(
          h.leaks().map((l) => [l.leaker, l.attribution]),
          [
            [n.address, 'self'],
            [n.address, 'self'],
          ],
        );
        const sent = await proposals();
        assert.equal(sent.length, 1);
        assert.match(sent[0]!.subject, /security@newcomer\.example/);
        assert.doesNotMatch(sent[0]!.text, /security@beta\.example/);
      });

      it('makes a third member\'s "Leaked by: <organization>" ambiguous: attributed to nobody, both aliases shown to the moderators', async () => {
        for (const [t, named] of [
          [1, 'Beta'],
          [2, 'beta'],
          [3, '  BETA  '],
        ] as const) {
          const before = h.mark();
          await leak(GAMMA, t, `Leaked by: ${named}\n${LINES}`);
          const u = await urgent(before);
          assert.match(u.text, /^ {2}Reported by: secure@gamma\.example \(Gamma\), in thread #\d$/m);
          assert.match(u.text, /^ {2}Leaked by: {3}NOT ATTRIBUTED\. The report names ".*",$/m);
          assert.match(u.text, /^ {17}security@beta\.example$/m);
          assert.match(u.text, /^ {17}security@newcomer\.example$/m);
          const notice = await h.find(GAMMA.address, /Your leak report/, before);
          assert.match(notice.text, /matches more than one member/);
        }
        for (const l of h.leaks()) {
          assert.deepEqual(
            [l.reporter, l.leaker, l.attribution, JSON.parse(l.leaker_candidates!)],
            [GAMMA.address, null, 'ambiguous', [BETA.address, n.address]],
          );
        }
        assert.deepEqual(await proposals(), [], 'nobody: not the two candidates, not the reporter');
        assert.ok(h.auditActions().includes('leak.report'));
      });
    });
  }

  describe('reports by different members about one member', () => {
    beforeEach(() => start(MEMBERS));

    it("count once per leak: others' reports of a member's leak add nothing to its count", async () => {
      await leak(BETA, 1);
      await leak(ALPHA, 1, `Leaked by: ${BETA.address}\n${LINES}`);
      await leak(GAMMA, 1, `Leaked by: Beta\n${LINES}`);
      assert.deepEqual(
        h.leaks().map((l) => [l.reporter, l.leaker, l.attribution]),
        [
          [BETA.address, BETA.address, 'self'],
          [ALPHA.address, BETA.address, 'named'],
          [GAMMA.address, BETA.address, 'named'],
        ],
      );
      assert.deepEqual(await proposals(), [], 'one leak of its own is under the limit of 2');
      await leak(BETA, 2);
      const sent = await proposals();
      assert.equal(sent.length, 1);
      assert.match(sent[0]!.subject, /Removal proposal: security@beta\.example \(2 leaks\)$/);
      assert.match(sent[0]!.text, /^ {2}REMOVE security@beta\.example repeated leaks: #1, #4$/m);
      assert.doesNotMatch(sent[0]!.text, /psirt@alpha\.example|secure@gamma\.example/);
    });

    it('propose nobody when only others report: not the member they name, not the reporter', async () => {
      // Before leaks were counted per alias, the reporter's own organization was proposed here.
      await leak(GAMMA, 1, `Leaked by: ${BETA.address}\n${LINES}`);
      await leak(GAMMA, 2, `Who leaked: Beta <${BETA.address.toUpperCase()}>\n${LINES}`);
      await leak(ALPHA, 3, `- **Leaked by:** ${BETA.address}\n${LINES}`);
      assert.deepEqual(
        h.leaks().map((l) => l.leaker),
        [BETA.address, BETA.address, BETA.address],
      );
      assert.deepEqual(await proposals(), []);
    });
  });

  describe('a "Leaked by:" line that names no single member', () => {
    beforeEach(() => start(MEMBERS));

    const cases: [what: string, line: string, attribution: string][] = [
      ['an outsider', 'Leaked by: someone@outsider.example', 'unknown'],
      ['a look-alike alias', 'Leaked by: security@beta.example.evil.example', 'unknown'],
      ['an organization nobody has', 'Leaked by: Delta', 'unknown'],
      ['two members at once', `Leaked by: ${BETA.address}, ${GAMMA.address}`, 'ambiguous'],
      ['a member and then an organization nobody has', `Leaked by: ${BETA.address}\nLeaked by: Delta`, 'ambiguous'],
      ['a member, with a bidi override around the name', `Leaked by: \u202e${BETA.address}\u202c`, 'named'],
    ];
    for (const [what, line, attribution] of cases) {
      it(`${what}: ${attribution === 'named' ? 'resolves to that member' : 'counts against nobody and says so to the moderators'}`, async () => {
        const before = h.mark();
        await leak(ALPHA, 1, `${line}\n${LINES}`);
        const row = h.leaks()[0]!;
        assert.equal(row.attribution, attribution);
        assert.equal(row.reporter, ALPHA.address);
        const u = await urgent(before);
        if (attribution === 'named') {
          assert.equal(row.leaker, BETA.address);
          const said = /^ {2}Leaked by:[^\n]*\n[^\n]*$/m.exec(u.text)![0];
          assert.match(said, /"security@beta\.example"/);
          assert.doesNotMatch(said, /[\u202a-\u202e]/);
        } else {
          assert.equal(row.leaker, null);
          assert.match(u.text, /Leaked by: {3}NOT ATTRIBUTED/);
        }
      });
    }

    it('names a removed member: counts against nobody', async () => {
      removeMember(h.ctx.db, GAMMA.address, h.clock.now().toISOString());
      await leak(ALPHA, 1, `Leaked by: ${GAMMA.address}\n${LINES}`);
      assert.deepEqual([h.leaks()[0]!.leaker, h.leaks()[0]!.attribution], [null, 'unknown']);
    });

    it("in the quoted part of the reply is not read: the report is the reporter's own", async () => {
      await leak(ALPHA, 1, `${LINES}\n> Leaked by: ${BETA.address}\n`);
      assert.deepEqual([h.leaks()[0]!.leaker, h.leaks()[0]!.attribution], [ALPHA.address, 'self']);
    });

    it('"Leaked by: us" is the reporter\'s own leak', async () => {
      await leak(ALPHA, 1, `Leaked by: us\n${LINES}`);
      assert.deepEqual([h.leaks()[0]!.leaker, h.leaks()[0]!.attribution], [ALPHA.address, 'self']);
    });

    it('resolves an organization exactly one member has, in any case', async () => {
      await leak(ALPHA, 1, `Leaked by:   gAMMA \n${LINES}`);
      assert.deepEqual([h.leaks()[0]!.leaker, h.leaks()[0]!.attribution], [GAMMA.address, 'named']);
    });
  });
});
