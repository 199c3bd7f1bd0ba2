import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedJoinRequest } from '../../../src/policy/join-request';
import { FIXTURES, fromFixture, lines, parse } from '../../helpers/join-requests';

const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  Pick<ParsedJoinRequest, 'answers' | 'alias' | 'acceptsEmbargo'>
>;

describe("policy/join-request: styles where a heading's number and text disagree, embargo answers, dash signatures", () => {
  describe('every fixture reads as expected.json says (the set scripts/join-request-accuracy.ts measures)', () => {
    for (const name of Object.keys(EXPECTED)) {
      it(`reads ${name}`, async () => {
        const r = await fromFixture(name);
        assert.deepEqual({ answers: r.answers, alias: r.alias, acceptsEmbargo: r.acceptsEmbargo }, EXPECTED[name]);
      });
    }
  });

  describe("the criterion's text outweighs its number", () => {
    it('reads criteria numbered from 0, each answer under its own criterion', () => {
      const r = parse(
        lines(
          '0. Have an actively monitored security email alias for our project.',
          'sec@member.example',
          '1. Be involved in redistributing Istio',
          'We ship Istio.',
          '4. Accept the Embargo Policy',
          'Yes',
        ),
      );
      assert.deepEqual(r.answers, { 1: 'sec@member.example', 2: 'We ship Istio.', 5: 'Yes' });
      assert.equal(r.acceptsEmbargo, true);
    });

    it('does not merge the answer under a number written twice into the criterion above', () => {
      const r = parse(
        lines(
          '3. Have a user base not limited to your own organization',
          'Many customers.',
          '3. Be a participant and active contributor in the Istio community',
          'We review PRs.',
        ),
      );
      assert.deepEqual(r.answers, { 3: 'Many customers.', 4: 'We review PRs.' });
    });

    it('reads a number past the last criterion when its text heads one ("6) Accept the Embargo Policy")', () => {
      const r = parse(
        lines(
          '4) Be a participant and active contributor in the Istio community:',
          'Yes, docs.',
          '6) Accept the Embargo Policy that is outlined above:',
          'Yes',
        ),
      );
      assert.deepEqual(r.answers, { 4: 'Yes, docs.', 5: 'Yes' });
    });

    it('reads a number outside the criteria with no criterion text as no heading: "0. Step one" of 20 steps stays out', () => {
      const text = Array.from({ length: 20 }, (_, i) => `${i}. Step ${i} of our deployment guide.`).join('\n');
      assert.deepEqual(parse(text).answers, {});
    });

    it('reads "1. Security email alias" alone on its line as the heading, the answer beneath', () => {
      assert.deepEqual(parse('1. Security email alias\nsec@member.example').answers, { 1: 'sec@member.example' });
    });

    it('reads the criterion asked as a question with the answer on the same line', () => {
      const r = parse(
        lines(
          '1. Do you have an actively monitored security email alias for your project? Yes, sec@member.example',
          '5. Do you accept the Embargo Policy that is outlined above? Yes',
        ),
      );
      assert.deepEqual(r.answers, { 1: 'Yes, sec@member.example', 5: 'Yes' });
      assert.equal(r.alias, 'sec@member.example');
      assert.equal(r.acceptsEmbargo, true);
    });

    it('does not take a wrapped criterion\'s second line ("cannot be a personal email address...") for a heading', () => {
      const r = parse(
        lines(
          '1) Have an actively monitored security email alias for our project. This',
          'cannot be a personal email address, it must be a corporate address owned by',
          'the organization.',
          'sec@member.example',
        ),
      );
      assert.deepEqual(r.answers, { 1: 'sec@member.example' });
    });

    it('keeps an answer that paraphrases a criterion in a sentence as the answer, not a heading', () => {
      const r = parse('5. Accept the Embargo Policy\nWe accept the embargo policy that is outlined above.');
      assert.deepEqual(r.answers, { 5: 'We accept the embargo policy that is outlined above.' });
    });
  });

  describe('acceptance of the embargo is read from the answer to the criterion that asks for it', () => {
    for (const [style, text] of Object.entries({
      'a bare heading, answer beneath': 'Accept the Embargo Policy\nYes',
      'a bare heading with a colon, answer inline': 'Accept the Embargo Policy: Yes',
      'a bold heading': '**Accept the Embargo Policy**\nYes',
      'a bold label with the answer after it': '**Accept the Embargo Policy:** Yes',
      'a Markdown heading': '### Accept the Embargo Policy\n\nYes',
      'a wrong number': '4. Accept the Embargo Policy\nYes',
      'a question': 'Do you accept the Embargo Policy? Yes',
    })) {
      it(`accepts "Yes" under ${style}`, () => {
        const r = parse(text);
        assert.equal(r.answers['5'], 'Yes', text);
        assert.equal(r.acceptsEmbargo, true, text);
      });
    }

    it('does not accept "No" or "Not yet" under the same headings', () => {
      for (const text of [
        'Accept the Embargo Policy\nNo',
        'Accept the Embargo Policy: Not yet',
        '4. Accept the Embargo Policy\nNo',
      ]) {
        assert.equal(parse(text).acceptsEmbargo, false, text);
      }
    });

    it('uses the configured embargo criterion: "Yes" under another criterion accepts nothing', () => {
      const r = parse(lines('Accept the Embargo Policy', 'Yes'), { embargoCriterion: 4 });
      assert.equal(r.acceptsEmbargo, false);
    });

    it('does not accept from a "Yes" in quoted earlier mail beneath an attribution', () => {
      const r = parse(
        lines(
          '1. sec@member.example',
          '',
          'On Tue, 3 Mar 2026 at 10:00, Mod <mod@lists.example> wrote:',
          '> Accept the Embargo Policy',
          '> Yes',
        ),
      );
      assert.equal(r.acceptsEmbargo, false);
    });
  });

  describe('a signature of a dash and a first name does not stay in the last answer', () => {
    for (const sig of ['-Joe', '- Joe', '--Joe', '— Joe', '– Joe', '~Joe', '-Joe S.']) {
      it(`cuts "${sig}"`, () => {
        const r = parse(`5. Yes, we accept.\n\n${sig}`);
        assert.deepEqual(r.answers, { 5: 'Yes, we accept.' });
      });
    }

    it('cuts "-Joe" with a title and company under it, and straight under the answer', () => {
      assert.deepEqual(parse('5. Yes\n-Joe\nProduct Security\nAcme').answers, { 5: 'Yes' });
    });

    it('keeps a list of names in an answer: "- Alice" after a line ending in ":" and "- Bob" after a list item', () => {
      const r = parse('4. Our maintainers:\n- Alice\n- Bob');
      assert.deepEqual(r.answers, { 4: 'Our maintainers:\n- Alice\n- Bob' });
    });

    it('keeps "- Alice" followed by more than a short signature block', () => {
      const r = parse(
        '4. Reviewers\n\n- Alice\nreviews every networking PR and has done so since the 1.10 release, weekly.',
      );
      assert.match(r.answers['4'] ?? '', /Alice/);
    });
  });
});
