import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  aliasLists,
  checkAliasLists,
  checkListShape,
  DomainList,
  domainSpellings,
  parseDomainList,
} from '../../../src/policy/corporate-alias/domain-lists';

function published(moduleId: string): string[] {
  return JSON.parse(fs.readFileSync(require.resolve(moduleId), 'utf8')) as string[];
}

describe('alias domain lists', () => {
  describe('DomainList', () => {
    const list = new DomainList(['b.example', 'a.example', 'b.example', 'ab.example', 'münchen.de', 'a']);

    it('finds each domain once, in any order given, duplicates counted once', () => {
      for (const d of ['a', 'a.example', 'ab.example', 'b.example', 'münchen.de']) assert.ok(list.has(d), d);
      assert.equal(list.size, 5);
    });

    it('does not find a prefix, an extension, another case or the empty string', () => {
      for (const d of ['', 'b', 'a.exampl', 'a.examplex', 'aa', 'c.example', 'A.example', 'münchen.d', '0'])
        assert.ok(!list.has(d), d);
    });

    it('is empty when given nothing', () => {
      const empty = new DomainList([]);
      assert.equal(empty.size, 0);
      assert.ok(!empty.has('a.example'));
      assert.ok(!empty.has(''));
    });
  });

  describe('the published lists', () => {
    const lists = aliasLists();
    const files = {
      freemail: 'email-providers/all.json',
      disposable: 'disposable-email-domains/index.json',
      disposableWildcard: 'disposable-email-domains/wildcard.json',
    } as const;

    for (const [name, moduleId] of Object.entries(files) as [keyof typeof files, string][]) {
      it(`${name}: holds every spelling of every entry of ${moduleId}, and nothing one letter longer`, () => {
        const expected = new Set(domainSpellings(published(moduleId)));
        const list = lists[name];
        assert.equal(list.size, expected.size);
        for (const d of expected) {
          assert.ok(list.has(d), d);
          if (!expected.has(`${d}x`)) assert.ok(!list.has(`${d}x`), `${d}x`);
        }
      });
    }

    it('matches the Unicode and the punycode spelling of an internationalised entry', () => {
      // all.json spells it in Unicode, index.json 5801000.xn--p1ai in punycode.
      assert.ok(lists.freemail.has('müll.email'));
      assert.ok(lists.freemail.has('xn--mll-hoa.email'));
      assert.ok(lists.disposable.has('5801000.xn--p1ai'));
      assert.ok(lists.disposable.has('5801000.рф'));
    });

    it('is loaded once', () => {
      assert.equal(aliasLists(), lists);
    });
  });

  describe('domainSpellings', () => {
    it('lower-cases, trims and drops a trailing dot and empty entries', () => {
      assert.deepEqual(domainSpellings([' Mail.Example. ', '', '  ']), ['mail.example']);
    });

    it('gives both spellings of an internationalised domain', () => {
      assert.deepEqual(domainSpellings(['MÜNCHEN.de']), ['münchen.de', 'xn--mnchen-3ya.de', 'münchen.de']);
      assert.deepEqual(domainSpellings(['xn--mnchen-3ya.de']), [
        'xn--mnchen-3ya.de',
        'xn--mnchen-3ya.de',
        'münchen.de',
      ]);
    });
  });

  describe('a list whose package changed its shape', () => {
    it('is refused when parsed, naming the list', () => {
      for (const text of ['{"domains":["a.example"]}', '[]', '["a.example", 3]', '["a.example"', 'null']) {
        assert.throws(
          () => parseDomainList('some-package/list.json', text),
          /The domain list some-package\/list\.json is not a non-empty array of strings/,
          text,
        );
      }
      assert.deepEqual(parseDomainList('x', '[ "a.example" ,"b.example"]'), ['a.example', 'b.example']);
    });

    it('is refused at start by its first and last bytes, without parsing', () => {
      checkListShape('x', '[\n  "0-180.com",\n  "0-30', 'zzz1717.com"\n]\n');
      checkListShape('x', '["001.igg.biz","027', 'zzz.com"]');
      for (const [head, tail] of [
        ['{"domains": ["a', 'b"]}'],
        ['[]', '[]'],
        ['[1, 2', '3]'],
        ['[{"domain": "a"', '"b"}]'],
        ['["a.example", ', '"b.exa'],
        ['', ''],
      ] as [string, string][]) {
        assert.throws(
          () => checkListShape('some-package/list.json', head, tail),
          /The domain list some-package\/list\.json is not a non-empty array of strings/,
          `${head} ... ${tail}`,
        );
      }
    });

    it('passes the installed packages at start', () => {
      checkAliasLists();
    });
  });
});
