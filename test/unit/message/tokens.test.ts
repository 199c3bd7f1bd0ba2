import assert from 'node:assert/strict';
import libmime from 'libmime';
import { defangTokens, findTokens } from '../../../src/message/tokens';

const T = 'abcdefghijklmnopqrstuvwxyz';

/** What findTokens would read from a reply whose subject is "Re: " + this text. */
function tokensIn(subject: string): string[] {
  return findTokens({ inReplyTo: null, references: [], subject: `Re: ${subject}` });
}

/** What a reader sees of a header value: encoded words decoded, full-width folded, invisibles dropped. */
function asReadLeniently(text: string): string {
  return libmime
    .decodeWords(text)
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '');
}

describe('message/tokens', () => {
  describe('findTokens', () => {
    it('reads tokens from In-Reply-To, References and the subject, in any case, once each', () => {
      const found = findTokens({
        inReplyTo: `<r1.ab.tk-${T}@lists.example.org>`,
        references: [`<x.tk-${T.toUpperCase()}@l>`],
        subject: `Re: x (TK-${'2'.repeat(26)})`,
      });
      assert.deepEqual(found.sort(), [T, '2'.repeat(26)].sort());
    });
  });

  describe('defangTokens', () => {
    const planted: [string, string][] = [
      ['a token in lower case', `Acme tk-${T}`],
      ['a token in upper case', `ACME TK-${T.toUpperCase()}`],
      ['a token in mixed case', `Tk-${T.slice(0, 13)}${T.slice(13).toUpperCase()}`],
      ['a token glued to a word', `Acmetk-${T}`],
      ['a zero-width space after the dash', `tk-\u200b${T}`],
      ['a zero-width joiner between t and k', `t\u200dk-${T}`],
      ['a soft hyphen inside the token', `tk-${T.slice(0, 10)}\u00ad${T.slice(10)}`],
      ['a word joiner and a BOM', `\u2060tk\ufeff-${T}`],
      ['full-width letters and dash', `\uff54\uff4b\uff0d${T}`],
      ['a Unicode hyphen for the dash', `tk\u2010${T}`],
      ['a minus sign for the dash', `tk\u2212${T}`],
      ['a Kelvin sign for the k', `t\u212a-${T}`],
      ['a literal quoted-printable encoded word', `=?utf-8?q?tk=2D${T}?=`],
      ['a literal base64 encoded word', `=?UTF-8?B?${Buffer.from(`tk-${T}`).toString('base64')}?=`],
      ['a token split across two literal encoded words', `=?utf-8?q?tk-${T.slice(0, 13)}?= =?utf-8?q?${T.slice(13)}?=`],
      ['a longer run than a token', `tk-${T}${T}`],
    ];
    for (const [what, text] of planted) {
      it(`leaves no token a reader could see, with ${what}`, () => {
        const out = defangTokens(text);
        assert.deepEqual(tokensIn(out), [], `raw: ${out}`);
        assert.deepEqual(tokensIn(asReadLeniently(out)), [], `as read: ${asReadLeniently(out)}`);
      });
    }

    it('would have let each of those through without it (the cases are real)', () => {
      for (const [what, text] of planted) {
        // Stricter than findTokens on purpose: these it would not read today, but a looser reader might.
        if (
          [
            'a token glued to a word',
            'a Unicode hyphen for the dash',
            'a minus sign for the dash',
            'a longer run than a token',
          ].includes(what)
        )
          continue;
        assert.equal(tokensIn(asReadLeniently(text)).length, 1, what);
      }
    });

    it('keeps the text readable: only the dash after "tk" becomes "_"', () => {
      assert.equal(defangTokens(`Acme tk-${T} Inc`), `Acme tk_${T} Inc`);
      assert.equal(defangTokens(`TK-${T.toUpperCase()}`), `TK_${T.toUpperCase()}`);
    });

    it('changes ordinary organization names, addresses and subjects not at all', () => {
      for (const text of [
        'Seven-Corp',
        'ACME, Inc.',
        'Zürich Versicherungs-Gesellschaft AG',
        'security@seven-corp.example',
        'tk-maxx',
        'TK-1234 rollout',
        'Join request #12: Acme',
        '日本電信電話株式会社',
      ]) {
        assert.equal(defangTokens(text), text);
      }
    });

    it('is idempotent', () => {
      for (const [, text] of planted) assert.equal(defangTokens(defangTokens(text)), defangTokens(text));
    });

    it('drops bidirectional overrides, so a subject cannot be shown reversed', () => {
      assert.equal(defangTokens('Acme \u202egpj.exe'), 'Acme gpj.exe');
    });
  });
});
