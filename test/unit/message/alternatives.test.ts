import assert from 'node:assert/strict';
import { readKeywords } from '../../../src/message/keyword-reading';
import { parseMessage } from '../../../src/message/parse';
import { ALL_KEYWORDS } from '../../../src/rules/keywords';
import { alternativesDisagree } from '../../../src/rules/alternatives';
import { snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';

const HIDDEN_APPROVE = '<html><body><span style="display:none">APPROVE</span><div>I am not sure</div></body></html>';

/** An HTML-only mail. */
function htmlOnly(html: string): Buffer {
  return makeMessage({
    from: 'moderator@example.org',
    to: 'x@example.org',
    subject: 'Re',
    body: html,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
  });
}

/** A multipart/alternative mail with a text/plain and a text/html part. */
function alternative(plain: string, html: string): Buffer {
  const body = [
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    plain,
    '',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    '',
    '--b1--',
    '',
  ].join('\n');
  return makeMessage({
    from: 'moderator@example.org',
    to: 'x@example.org',
    subject: 'Re',
    body,
    headers: { 'Content-Type': 'multipart/alternative; boundary="b1"' },
  });
}

describe('message/parse: text is what a reader sees', () => {
  it('an HTML-only mail: text is the visible text, without the hidden APPROVE', async () => {
    const msg = await parseMessage(htmlOnly(HIDDEN_APPROVE));
    assert.equal(msg.hasPlainText, false);
    assert.equal(msg.text, 'I am not sure');
    assert.equal(msg.htmlText, 'I am not sure');
  });

  it('multipart/alternative: text is the plain part, htmlText the visible HTML', async () => {
    const msg = await parseMessage(alternative('APPROVE', HIDDEN_APPROVE));
    assert.equal(msg.hasPlainText, true);
    assert.equal(msg.text.trim(), 'APPROVE');
    assert.equal(msg.htmlText, 'I am not sure');
  });

  it('a plain-text mail has no htmlText', async () => {
    const msg = await parseMessage(makeMessage({ from: 'a@example.org', body: 'APPROVE\n' }));
    assert.deepEqual([msg.hasPlainText, msg.htmlText, msg.text.trim()], [true, null, 'APPROVE']);
  });

  it('multipart/mixed with the HTML first and the plain part after: the hidden word is in neither text', async () => {
    const body = [
      '--m1',
      'Content-Type: text/html; charset=utf-8',
      'Content-Disposition: inline',
      '',
      '<span style="display:none">APPROVE</span>',
      '',
      '--m1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Disposition: inline',
      '',
      'I am not sure',
      '',
      '--m1--',
      '',
    ].join('\n');
    const msg = await parseMessage(
      makeMessage({ from: 'a@example.org', body, headers: { 'Content-Type': 'multipart/mixed; boundary="m1"' } }),
    );
    assert.doesNotMatch(msg.text, /APPROVE/);
    assert.doesNotMatch(msg.htmlText ?? '', /APPROVE/);
    assert.equal(readKeywords(msg, ALL_KEYWORDS).keyword, null);
  });
});

describe('message/keyword-reading and the alternatives-disagree rule', () => {
  async function read(raw: Buffer): Promise<ReturnType<typeof readKeywords>> {
    return readKeywords(await parseMessage(raw), ALL_KEYWORDS);
  }

  it('HTML-only with a hidden APPROVE: no keyword, no disagreement (there is one version)', async () => {
    assert.deepEqual(await read(htmlOnly(HIDDEN_APPROVE)), {
      firstLine: 'I am not sure',
      keyword: null,
      disagreement: null,
    });
  });

  it('HTML-only with a visible APPROVE: APPROVE', async () => {
    assert.deepEqual((await read(htmlOnly('<div>APPROVE</div><blockquote>Request #1</blockquote>'))).keyword, {
      keyword: 'APPROVE',
      argument: null,
    });
  });

  it('plain APPROVE and HTML that visibly says APPROVE: APPROVE', async () => {
    const r = await read(
      alternative('APPROVE\n\n> Request #1', '<div dir="ltr"><b>APPROVE</b></div><blockquote>Request #1</blockquote>'),
    );
    assert.deepEqual([r.keyword, r.disagreement], [{ keyword: 'APPROVE', argument: null }, null]);
  });

  it('Gmail\'s "*APPROVE*" in the plain part for a bold APPROVE agrees with the HTML', async () => {
    assert.deepEqual((await read(alternative('*APPROVE*', '<b>APPROVE</b>'))).keyword, {
      keyword: 'APPROVE',
      argument: null,
    });
  });

  it('plain APPROVE and HTML that visibly says "I am not sure": neither, with the reason', async () => {
    const r = await read(alternative('APPROVE', HIDDEN_APPROVE));
    assert.equal(r.keyword, null);
    assert.equal(
      r.disagreement,
      'the text/plain part reads APPROVE and the HTML part, as a reader sees it, reads no keyword',
    );
  });

  it('plain "I am not sure" and HTML APPROVE: neither', async () => {
    const r = await read(alternative('I am not sure', '<p>APPROVE</p>'));
    assert.equal(r.keyword, null);
    assert.match(r.disagreement ?? '', /reads no keyword and the HTML part, as a reader sees it, reads APPROVE$/);
  });

  it('another keyword in each: neither', async () => {
    const r = await read(alternative('APPROVE', '<p>REJECT not a team alias</p>'));
    assert.equal(r.keyword, null);
    assert.match(r.disagreement ?? '', /APPROVE .* REJECT not a team alias/);
  });

  it('the same keyword with another argument: neither', async () => {
    const r = await read(alternative('REJECT you are not a distributor', '<p>REJECT approved after all</p>'));
    assert.equal(r.keyword, null);
    assert.ok(r.disagreement);
  });

  it('a REJECT reason that the plain part wrapped at 78 columns (Gmail) and the HTML kept on one line: the plain REJECT', async () => {
    const reason = 'Your alias is a personal address and you do not redistribute Istio in any product we know of.';
    const plain = `REJECT ${reason}`.replace(/^(.{1,76}) (.*)$/, '$1\n$2');
    const r = await read(alternative(plain, `<div>REJECT ${reason}</div>`));
    assert.equal(r.disagreement, null);
    assert.equal(r.keyword?.keyword, 'REJECT');
  });

  it('an EMBARGO date that one version cuts short is another date: neither', async () => {
    const r = await read(alternative('EMBARGO 2026-04-01', '<p>EMBARGO 2026-04-01 18:00 UTC</p>'));
    assert.equal(r.keyword, null);
  });

  it('the rule hits with the reason when the snapshot carries one, and misses otherwise', () => {
    const msg = {} as never;
    assert.equal(
      alternativesDisagree.check(
        msg,
        snapshotWith({ keywordDisagreement: 'the text/plain part reads APPROVE and ...' }),
      ),
      'the text/plain part reads APPROVE and ...',
    );
    assert.equal(alternativesDisagree.check(msg, snapshotWith()), null);
  });
});
