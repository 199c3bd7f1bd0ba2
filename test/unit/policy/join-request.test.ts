import assert from 'node:assert/strict';
import { DEFAULT_CRITERIA } from '../../../src/policy/join-request';
import { fromFixture, lines, parse } from '../../helpers/join-requests';

describe('policy/join-request', () => {
  describe('DEFAULT_CRITERIA', () => {
    it('holds the five criteria of the policy, criterion 1 as in the membership criteria list', () => {
      assert.equal(DEFAULT_CRITERIA.length, 5);
      assert.equal(
        DEFAULT_CRITERIA[0],
        'Have an actively monitored security email alias for our project. This cannot be a personal email address, it must be a corporate address owned by the organization.',
      );
      assert.equal(
        DEFAULT_CRITERIA[1],
        'Be involved in redistributing Istio or have a product with close coupling to Istio.',
      );
      assert.equal(DEFAULT_CRITERIA[2], 'Have a user base not limited to your own organization.');
      assert.equal(DEFAULT_CRITERIA[3], 'Be a participant and active contributor in the Istio community.');
      assert.equal(DEFAULT_CRITERIA[4], 'Accept the Embargo Policy that is outlined above.');
    });
  });

  describe('fixtures, one per style, read through mailparser', () => {
    it("reads the policy's own example: quoted criteria answered beneath, criterion 1 worded differently", async () => {
      assert.deepEqual(await fromFixture('policy-example.eml'), {
        organization: 'Seven-Corp',
        alias: 'istio-security-team@example.com',
        answers: {
          1: 'Yes, please subscribe istio-security-team@example.com to the early disclosure list.',
          2: 'We distribute the "Seven" distribution of Istio [link]. We have been doing this since 2017.',
          3: 'Our user base spans of the extensive "Seven" community. We have a slack and GitHub repos and mailing lists where the community hangs out. [links]',
          4: 'Our members, Acidburn, Cereal, and ZeroCool are outstanding members and are well known throughout the Istio community. Especially for their contributions in hacking the Gibson.',
          5: 'We accept.',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads "1." answers without the criteria, and keeps the "Best regards" signature and "-- " footer out', async () => {
      assert.deepEqual(await fromFixture('numbered-dot.eml'), {
        organization: 'Acme Inc',
        alias: 'security-team@acme.example',
        answers: {
          1: 'Yes: please add security-team@acme.example, monitored around the clock by our PSIRT rotation.',
          2: 'We ship Acme Service Mesh, a supported Istio distribution.',
          3: 'Our customers are banks and retailers across Europe and Asia.',
          4: 'Two of our engineers are Istio maintainers; we review PRs every week.',
          5: 'Yes, we accept the embargo policy.',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads "1)" with the criterion repeated and wrapped over lines, a mailto: alias in angle brackets, and "Thanks, Lena" left out', async () => {
      assert.deepEqual(await fromFixture('numbered-paren-repeated.eml'), {
        organization: 'Northwind Systems',
        alias: 'psirt@northwind.example',
        answers: {
          1: 'Our alias is <mailto:psirt@northwind.example>, read by four people.',
          2: 'Northwind Gateway embeds Istio and we publish our own builds.',
          3: 'Around 300 companies run Northwind Gateway.',
          4: 'We have contributed to istio/istio and istio/proxy since 2021:\n- ambient mode fixes\n- docs translations',
          5: 'Accepted',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads "(1)" answers and stops at an Outlook "-----Original Message-----" that quotes the criteria again', async () => {
      assert.deepEqual(await fromFixture('numbered-parenthesized-outlook.eml'), {
        organization: 'Kestrel Networks',
        alias: 'istio-security@kestrel.example',
        answers: {
          1: 'istio-security@kestrel.example',
          2: 'Kestrel Mesh is a commercial Istio distribution.',
          3: 'Kestrel Mesh has customers in 14 countries.',
          4: 'We run the Istio meetup in Lagos and contribute to the Istio docs.',
          5: 'I agree',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads "1 -" lines that repeat the criterion and answer after a colon or a dash', async () => {
      assert.deepEqual(await fromFixture('numbered-dash.eml'), {
        organization: 'Bluefin Cloud',
        alias: 'security-alerts@bluefin.example',
        answers: {
          1: 'security-alerts@bluefin.example',
          2: 'Bluefin Cloud offers managed Istio.',
          3: 'thousands of tenants.',
          4: 'we sponsor IstioCon and maintain the Helm charts.',
          5: 'yes',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads a GitHub issue: "### 1. ..." headings, "_No response_" as missing, a ticked box as accepting', async () => {
      assert.deepEqual(await fromFixture('github-headings.eml'), {
        organization: 'Harbor Labs',
        alias: 'istio-sec@harbor-labs.example',
        answers: {
          1: 'istio-sec@harbor-labs.example',
          2: 'Harbor Platform bundles Istio as its service mesh.',
          4: 'We maintain istio/tools CI jobs.\n\nOur engineers attend the weekly networking working group.',
          5: '- [x] We accept the embargo policy',
        },
        missing: [3],
        acceptsEmbargo: true,
      });
    });

    it('reads bold criterion lines, shortened with "..." or not, with answers beneath', async () => {
      assert.deepEqual(await fromFixture('bold-criteria.eml'), {
        organization: 'Vistula Software',
        alias: 'product-security@vistula.example',
        answers: {
          1: 'Yes: product-security@vistula.example',
          2: 'We redistribute Istio inside Vistula Edge.',
          3: 'Vistula Edge is sold to public-sector customers.',
          4: 'We fixed several bugs in the sidecar injector.',
          5: 'Yes',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads answers on the criterion\'s own line: "1. Security alias: ..." and "Criterion 2 - ..."', async () => {
      assert.deepEqual(await fromFixture('same-line.eml'), {
        organization: 'Lotus Mesh Ltd',
        alias: 'istio-security@lotus-mesh.example',
        answers: {
          1: 'istio-security@lotus-mesh.example',
          2: 'we ship Lotus Mesh, a hardened Istio build.',
          3: 'our users are other companies, not only us.',
          4: 'we answer Istio Slack questions daily.',
          5: 'We accept.',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads criteria in another order, lists the one left out, and ignores the quoted earlier mail that answers it', async () => {
      assert.deepEqual(await fromFixture('reordered-missing-gmail.eml'), {
        organization: 'Sahel Cloud',
        alias: 'security@sahel-cloud.example',
        answers: {
          1: 'Please subscribe security@sahel-cloud.example.',
          2: 'Sahel Cloud runs Istio for every tenant cluster.',
          3: 'Our customers are 200 startups in West Africa.',
          5: 'Yes, we accept the embargo policy.',
        },
        missing: [4],
        acceptsEmbargo: true,
      });
    });

    it("reads a text/html-only mail: upper-cased headings, a wrapped heading, a list in an answer, Gmail's quote left out", async () => {
      assert.deepEqual(await fromFixture('html-only.eml'), {
        organization: 'Fjord Data',
        alias: 'security@fjord-data.example',
        answers: {
          1: 'Yes — Security@Fjord-Data.example [Security@Fjord-Data.example] is read by our on-call team.',
          2: 'Fjord Mesh is our Istio distribution. It ships:\n\n1. signed images\n2. long-term support branches',
          3: 'More than 40 customers in the Nordics.',
          4: 'Our engineers are active in the Istio Environments working group.',
          5: 'Yes, we accept.',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads a quoted-printable ISO-8859-1 body with accented names, in French, with the organization in an encoded subject', async () => {
      assert.deepEqual(await fromFixture('quoted-printable-latin1.eml'), {
        organization: 'Société Générale Logiciel',
        alias: 'securite@societe-generale-logiciel.example',
        answers: {
          1: 'securite@societe-generale-logiciel.example',
          2: 'Nous intégrons Istio dans « Réseau Maillé », notre produit.',
          3: 'Nos clients : des hôpitaux et des collectivités en France et en Belgique.',
          4: "Nous participons au groupe de travail « Sécurité » d'Istio.",
          5: 'Yes, we accept the embargo policy.',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('reads a base64 windows-1252 body, stops at an Outlook "From:/Sent:" block, and takes "Organisation:" from the body', async () => {
      assert.deepEqual(await fromFixture('base64-windows1252.eml'), {
        organization: 'Müller & Söhne GmbH',
        alias: 'psirt@mueller-soehne.example',
        answers: {
          1: 'Ja / yes: psirt@mueller-soehne.example – rund um die Uhr besetzt.',
          2: 'Unser Produkt „Förderband“ basiert auf Istio.',
          3: 'Über 120 Kunden in Österreich, der Schweiz und Deutschland.',
          4: 'Jürgen Weiß ist Istio-Reviewer.',
          5: 'We accept.',
        },
        missing: [],
        acceptsEmbargo: true,
      });
    });

    it('finds no answer in a body that is only a quoted earlier mail, even one quoting criteria and answers', async () => {
      assert.deepEqual(await fromFixture('only-quoted.eml'), {
        organization: 'Greenleaf',
        alias: null,
        answers: {},
        missing: [1, 2, 3, 4, 5],
        acceptsEmbargo: false,
      });
    });

    it("finds no answer in an empty body, and names the organization after the sender's domain", async () => {
      assert.deepEqual(await fromFixture('empty-body.eml'), {
        organization: 'Emptyco',
        alias: null,
        answers: {},
        missing: [1, 2, 3, 4, 5],
        acceptsEmbargo: false,
      });
    });
  });

  describe('criteria and headings', () => {
    it('takes a quoted criterion wrapped over two quoted lines as one heading', () => {
      const r = parse(
        lines(
          '> 1. Have an actively monitored security email alias for our project. This cannot be a personal',
          '> email address, it must be a corporate address owned by the organization.',
          '',
          'security@member.example',
          '',
          '> 5. Accept the Embargo Policy that is outlined above.',
          'We accept.',
        ),
      );
      assert.deepEqual(r.answers, { 1: 'security@member.example', 5: 'We accept.' });
      assert.deepEqual(r.missing, [2, 3, 4]);
    });

    it('drops a quoted block that starts with a criterion but goes on with quoted answers: earlier mail, not a heading', () => {
      const r = parse(
        lines(
          '3. Our users are everywhere.',
          '',
          '> 1. Have an actively monitored security email alias for our project.',
          '>',
          '> old-alias@member.example',
        ),
      );
      assert.deepEqual(r.answers, { 3: 'Our users are everywhere.' });
      assert.equal(r.alias, null);
    });

    it('reads criteria written out bare, without number or formatting, each answered beneath', () => {
      const r = parse(
        lines(
          'Have an actively monitored security email alias for our project.',
          'psirt@member.example',
          'Be involved in redistributing Istio or have a product with close coupling to Istio.',
          'We resell Istio support.',
          'Have a user base not limited to your own organization.',
          'We have a user base not limited to our own organization: 50 customers.',
        ),
      );
      assert.deepEqual(r.answers, {
        1: 'psirt@member.example',
        2: 'We resell Istio support.',
        3: 'We have a user base not limited to our own organization: 50 customers.',
      });
    });

    it('follows the quoted text over the number when criteria are renumbered in another order', () => {
      const r = parse(
        lines(
          '1. Accept the Embargo Policy that is outlined above.',
          'We accept.',
          '2. Have an actively monitored security email alias for our project.',
          'sec@member.example',
        ),
      );
      assert.deepEqual(r.answers, { 5: 'We accept.', 1: 'sec@member.example' });
      assert.deepEqual(r.missing, [2, 3, 4]);
      assert.equal(r.acceptsEmbargo, true);
    });

    it('keeps a numbered list inside an answer in the answer instead of reading it as criteria', () => {
      const r = parse(
        lines(
          '1. sec@member.example',
          '2. We ship Istio.',
          '3. Many users.',
          '4. Our contributors:',
          '1. Alice',
          '2. Bob',
          '5. We accept.',
        ),
      );
      assert.deepEqual(r.answers, {
        1: 'sec@member.example',
        2: 'We ship Istio.',
        3: 'Many users.',
        4: 'Our contributors:\n1. Alice\n2. Bob',
        5: 'We accept.',
      });
    });

    it('does not take a bold sentence inside an answer for a criterion heading', () => {
      const r = parse(
        lines(
          '**Be involved in redistributing Istio...**',
          'We ship Istio.',
          '**We are active contributors in the Istio community**',
          'and have been since 2019.',
          '**Be a participant and active contributor in the Istio community**',
          'See above.',
        ),
      );
      assert.deepEqual(r.answers, {
        2: 'We ship Istio. **We are active contributors in the Istio community** and have been since 2019.',
        4: 'See above.',
      });
    });

    it('reads "**1.**" with only the number in bold, "Q3:" and "#4" markers', () => {
      const r = parse(
        lines('**1.** sec@member.example', '2) We ship Istio.', 'Q3: Many users.', '#4 We review PRs.', '(5) Yes'),
      );
      assert.equal(r.answers['1'], 'sec@member.example');
      assert.equal(r.answers['3'], 'Many users.');
      assert.equal(r.answers['4'], 'We review PRs.');
      assert.equal(r.answers['5'], 'Yes');
    });

    it('matches criteria given with Markdown link markup, as the policy writes criterion 5, and keeps links in answers', () => {
      const criteria = [
        ...DEFAULT_CRITERIA.slice(0, 4),
        'Accept the [Embargo Policy](#embargo-policy) that is outlined above.',
      ];
      const r = parse(
        lines(
          '**Be involved in redistributing Istio**',
          'We ship [Seven](https://seven.example/istio).',
          '**Accept the Embargo Policy that is outlined above**',
          'Accepted',
        ),
        { criteria },
      );
      assert.deepEqual(r.answers, { 2: 'We ship [Seven](https://seven.example/istio).', 5: 'Accepted' });
      assert.equal(r.acceptsEmbargo, true);
      const pasted = parse('5. Accept the [Embargo Policy](#embargo-policy) that is outlined above.\nWe accept.');
      assert.deepEqual(pasted.answers, { 5: 'We accept.' });
    });

    it('uses the configured alias and embargo criteria, wherever they are in the list', () => {
      const criteria = ['Agree to keep embargoes.', 'Name the security alias to subscribe.'];
      const r = parse('1. I agree\n2. Alias: <Sec@Member.example>', {
        criteria,
        aliasCriterion: 2,
        embargoCriterion: 1,
      });
      assert.deepEqual(r.answers, { 1: 'I agree', 2: '<Sec@Member.example>' });
      assert.equal(r.alias, 'sec@member.example');
      assert.equal(r.acceptsEmbargo, true);
    });
  });

  describe('signatures and earlier mail', () => {
    it('leaves a Gmail attribution wrapped over two lines, and the quote under it, out of the last answer', () => {
      const r = parse(
        lines(
          '5. We accept.',
          '',
          'On Tue, 3 Mar 2026 at 10:00, Istio Requests <',
          'requests@lists.example> wrote:',
          '> 5. Accept the Embargo Policy that is outlined above.',
          '> We do not accept.',
        ),
      );
      assert.deepEqual(r.answers, { 5: 'We accept.' });
      assert.equal(r.acceptsEmbargo, true);
    });

    it('reads on after an interleaved quote of earlier mail', () => {
      const r = parse(
        lines(
          'On Tue, 3 Mar 2026 at 10:00, Moderator <mod@lists.example> wrote:',
          '> Please answer criteria 3 and 5.',
          '',
          '3. Our users are everywhere.',
          '5. We accept.',
        ),
      );
      assert.deepEqual(r.answers, { 3: 'Our users are everywhere.', 5: 'We accept.' });
    });

    it("answers beneath a criterion quoted from the moderators' question, dropping the rest of that quote", () => {
      const r = parse(
        lines(
          '> Thanks for your request. Two answers are missing:',
          '>',
          '> 4. Be a participant and active contributor in the Istio community.',
          '',
          'We maintain the Istio Helm charts.',
          '',
          '> 5. Accept the Embargo Policy that is outlined above.',
          'We accept.',
        ),
      );
      assert.deepEqual(r.answers, { 4: 'We maintain the Istio Helm charts.', 5: 'We accept.' });
    });

    it('does not let criteria quoted at the bottom, with nothing beneath, take over numbered answers', () => {
      const r = parse(
        lines(
          '1. sec@member.example',
          '5. We accept.',
          '',
          '> 1. Have an actively monitored security email alias for our project.',
          '> 5. Accept the Embargo Policy that is outlined above.',
        ),
      );
      assert.deepEqual(r.answers, { 1: 'sec@member.example', 5: 'We accept.' });
      assert.equal(r.acceptsEmbargo, true);
    });

    it('cuts a signature that starts with the sender\'s name, and a "Sent from my" footer', () => {
      const r = parse('5. Yes\n\nJane Doe\nSecurity Lead\n\nSent from my iPhone', { fromName: 'Jane Doe' });
      assert.deepEqual(r.answers, { 5: 'Yes' });
    });
  });

  describe('organization', () => {
    const org = (subject: string, text = '', fromAddress = 'applicant@member.example'): string | null =>
      parse(text, { subject, fromAddress }).organization;

    it("comes from the subject in the policy's form and the usual variants", () => {
      assert.equal(org('Seven-Corp Membership to Early Disclosure Mailing List'), 'Seven-Corp');
      assert.equal(org('Membership request: Acme Inc'), 'Acme Inc');
      assert.equal(org('Request to join - Acme'), 'Acme');
      assert.equal(org('Re: [istio] Early disclosure membership for Acme Corp'), 'Acme Corp');
      assert.equal(org("Acme's request to join the early disclosure list"), 'Acme');
    });

    it('comes from the body when the subject names none', () => {
      assert.equal(org('Request to join', 'Below is why we, Seven-Corp, qualify.'), 'Seven-Corp');
      assert.equal(org('Request to join', 'I write on behalf of Acme Corp. to request membership.'), 'Acme Corp');
      assert.equal(org('Hello', 'Organization: Acme'), 'Acme');
      assert.equal(org('Hello', '**Company:** Initech'), 'Initech');
    });

    it("comes from the alias's domain, then the sender's, as a capitalised second-level label", () => {
      assert.equal(org('Request to join', '1. sec@mail.example.com'), 'Example');
      assert.equal(org('Request to join', '', 'bob@acme.co.uk'), 'Acme');
    });

    it("is null for a mail provider's domain and no other clue", () => {
      assert.equal(org('Request to join the early disclosure list', '', 'someone@gmail.com'), null);
    });
  });

  describe('alias', () => {
    it('is the first address in the alias answer, lower-cased, without mailto: or angle brackets', () => {
      assert.equal(
        parse('1. Alias: <MAILTO:Istio-Sec@Member.EXAMPLE>, backup ops@member.example').alias,
        'istio-sec@member.example',
      );
    });

    it('comes from "please subscribe X" anywhere when the alias answer has no address', () => {
      const r = parse('1. Yes, we have one.\n\nPlease subscribe Security@Member.example to the list.');
      assert.equal(r.alias, 'security@member.example');
    });

    it('comes from "subscribe X to" when criterion 1 is not answered at all', () => {
      assert.equal(
        parse('Could you subscribe psirt@member.example to the early disclosure list?').alias,
        'psirt@member.example',
      );
    });

    it('is null without any address', () => {
      assert.equal(parse('1. We have a security team.').alias, null);
    });
  });

  describe('acceptsEmbargo', () => {
    const accepts = (answer: string): boolean => parse(`5. ${answer}`).acceptsEmbargo;

    it('is true for a clear acceptance', () => {
      for (const a of [
        'We accept.',
        'Yes, we accept the embargo policy',
        'Accepted',
        'I agree',
        'Yes',
        'yes, no objections',
        'We fully accept it.',
      ]) {
        assert.equal(accepts(a), true, a);
      }
    });

    it('is false for a refusal, an unclear answer or an unticked box', () => {
      for (const a of [
        'We do not accept.',
        'no',
        "We can't agree to that.",
        'Maybe later',
        'Yes, but we do not accept the sharing rule.',
        '- [ ] We accept',
        'We will review it',
      ]) {
        assert.equal(accepts(a), false, a);
      }
    });

    it('is false when the embargo criterion is missing', () => {
      assert.equal(parse('1. sec@member.example').acceptsEmbargo, false);
    });
  });

  describe('hostile bodies', () => {
    it('reads nothing from an empty or blank body', () => {
      for (const text of ['', '\n\n  \r\n']) {
        const r = parse(text);
        assert.deepEqual(r.answers, {});
        assert.deepEqual(r.missing, [1, 2, 3, 4, 5]);
        assert.equal(r.acceptsEmbargo, false);
      }
    });

    it('reads nothing from a body that is only quoted earlier mail, without an attribution line', () => {
      const r = parse('> 1. sec@member.example\n> 5. We accept.\n');
      assert.deepEqual(r.answers, {});
      assert.equal(r.acceptsEmbargo, false);
    });

    it('does not read a body of 20 numbered lines as the five answers', () => {
      const text = Array.from({ length: 20 }, (_, i) => `${i + 1}. Step ${i + 1} of our deployment guide.`).join('\n');
      const r = parse(text);
      assert.deepEqual(r.answers, {});
      assert.deepEqual(r.missing, [1, 2, 3, 4, 5]);
      assert.equal(r.acceptsEmbargo, false);
    });

    it('treats criteria full of regular-expression metacharacters as plain text', () => {
      const criteria = [
        'Own a (monitored) alias: [a-z]+@*.example?',
        'Ship $product ^with^ {Istio} | mesh \\d+.',
        'Accept the embargo (.*)',
      ];
      const r = parse(
        lines(
          '> Own a (monitored) alias: [a-z]+@*.example?',
          '',
          'sec@member.example',
          '',
          '**Ship $product ^with^ {Istio} | mesh \\d+**',
          'We ship Istio.',
          '',
          '3. Accept the embargo (.*): Yes',
        ),
        { criteria, embargoCriterion: 3 },
      );
      assert.deepEqual(r.answers, { 1: 'sec@member.example', 2: 'We ship Istio.', 3: 'Yes' });
      assert.equal(r.alias, 'sec@member.example');
      assert.equal(r.acceptsEmbargo, true);
    });

    it('finishes on 200 KB bodies made to make regular expressions backtrack', () => {
      const bodies = [
        `5. ${'a'.repeat(200_000)}`,
        `1. ${'a.'.repeat(50_000)}@${'b-'.repeat(50_000)}`,
        `${'> 1. Have an actively monitored security email alias\n'.repeat(3_700)}`,
        `${'1. Have an actively monitored security email alias for our project '.repeat(3_000)}`,
        `On ${' '.repeat(200_000)}x`,
        `5. We accept. ${'not '.repeat(50_000)}`,
        `${'Have an actively monitored security email alias for our project.\n'.repeat(3_000)}`,
        `Subscribe ${'@'.repeat(200_000)}`,
        `### 1. ${' '.repeat(200_000)}x`,
        `**${'['.repeat(100_000)}${'('.repeat(100_000)}`,
        `1. ${`@${'-'.repeat(253)}x`.repeat(780)}`,
        `5. We accept.\n${'Thanks,\n'.repeat(28_000)}`,
        `${'________\nFrom: x\n'.repeat(12_000)}`,
      ];
      for (const text of bodies) {
        const r = parse(text);
        assert.equal(r.missing.length + Object.keys(r.answers).length, 5);
      }
    });

    it('reads CRLF and lone CR line ends as LF', () => {
      const text =
        '> 1. Have an actively monitored security email alias for our project.\r\n\r\nsec@member.example\r\nmonitored 24/7\r\n\r\n5. We accept.\r-- \rJane';
      const r = parse(text);
      assert.deepEqual(r.answers, { 1: 'sec@member.example monitored 24/7', 5: 'We accept.' });
      assert.equal(r.alias, 'sec@member.example');
    });
  });
});
