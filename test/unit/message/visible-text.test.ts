import assert from 'node:assert/strict';
import { MAX_HTML_DEPTH, visibleText } from '../../../src/message/visible-text';

/** "I am not sure" is what the reader sees; `hidden` is markup around a hidden APPROVE. */
function seen(hidden: string, head = ''): string {
  return visibleText(`<html><head>${head}</head><body>${hidden}<p>I am not sure</p></body></html>`);
}

function assertHidden(hidden: string, head = ''): void {
  const text = seen(hidden, head);
  assert.doesNotMatch(text, /APPROVE/, `hidden: ${hidden} ${head}`);
  assert.match(text, /I am not sure/, 'the visible text is still there');
}

function assertShown(markup: string, head = ''): void {
  assert.match(seen(markup, head), /^APPROVE$/m, `visible: ${markup} ${head}`);
}

describe('message/visible-text', () => {
  describe('drops what a reader cannot see, and keeps the same word when it can be seen', () => {
    const cases: [string, string, string][] = [
      // name, hidden, visible control
      ['display:none', '<span style="display:none">APPROVE</span>', '<div style="display:block">APPROVE</div>'],
      [
        'visibility:hidden',
        '<div style="visibility:hidden">APPROVE</div>',
        '<div style="visibility:visible">APPROVE</div>',
      ],
      [
        'visibility:collapse',
        '<div style="visibility: collapse">APPROVE</div>',
        '<div style="visibility:inherit">APPROVE</div>',
      ],
      ['font-size:0', '<div style="font-size:0">APPROVE</div>', '<div style="font-size:14px">APPROVE</div>'],
      ['font-size:0px', '<div style="font-size:0px">APPROVE</div>', '<div style="font-size:11pt">APPROVE</div>'],
      ['font-size:0pt', '<div style="font-size:0pt">APPROVE</div>', '<div style="font-size:1em">APPROVE</div>'],
      ['font-size:0em', '<div style="font-size:0em">APPROVE</div>', '<div style="font-size:1.2rem">APPROVE</div>'],
      ['font-size:0%', '<div style="font-size:0%">APPROVE</div>', '<div style="font-size:100%">APPROVE</div>'],
      ['font-size:1px', '<div style="font-size:1px">APPROVE</div>', '<div style="font-size:small">APPROVE</div>'],
      ['font shorthand 0/0', '<div style="font:0/0 a">APPROVE</div>', '<div style="font:12px/1.4 Arial">APPROVE</div>'],
      [
        'nested 10% of 10%',
        '<div style="font-size:10%"><div style="font-size:10%">APPROVE</div></div>',
        '<div style="font-size:0"><div style="font-size:16px">APPROVE</div></div>',
      ],
      ['opacity:0', '<div style="opacity:0">APPROVE</div>', '<div style="opacity:1">APPROVE</div>'],
      ['opacity:0.0', '<div style="opacity:0.0">APPROVE</div>', '<div style="opacity:0.9">APPROVE</div>'],
      ['opacity:0%', '<div style="opacity:0%">APPROVE</div>', '<div style="opacity:100%">APPROVE</div>'],
      ['opacity:0.01', '<div style="opacity:.01">APPROVE</div>', '<div style="opacity:.95">APPROVE</div>'],
      [
        'height:0 overflow:hidden',
        '<div style="height:0;overflow:hidden">APPROVE</div>',
        '<div style="height:0">APPROVE</div>',
      ],
      // A sized box with overflow hidden (what is pushed past it is cut off) is layout: trust-review.test.ts.
      [
        'max-height:0 overflow:hidden',
        '<div style="max-height:0px; overflow: hidden">APPROVE</div>',
        '<div style="max-height:200px">APPROVE</div>',
      ],
      [
        'width:0 overflow-x:hidden',
        '<div style="width:0;overflow-x:hidden">APPROVE</div>',
        '<div style="width:300px">APPROVE</div>',
      ],
      // Positioned elements (absolute, fixed, offsets) make the whole HTML unreadable: trust-review.test.ts.
      [
        '1px box (screen-reader only)',
        '<div style="width:1px;height:1px;overflow:hidden">APPROVE</div>',
        '<div style="position:relative;width:100%">APPROVE</div>',
      ],
      [
        'line-height:0 overflow:hidden',
        '<div style="line-height:0;overflow:hidden">APPROVE</div>',
        '<div style="line-height:1.5;overflow:hidden">APPROVE</div>',
      ],
      [
        'mso-hide:all',
        '<div style="mso-hide:all">APPROVE</div>',
        '<div style="mso-line-height-rule:exactly">APPROVE</div>',
      ],
      ['color:transparent', '<div style="color:transparent">APPROVE</div>', '<div style="color:black">APPROVE</div>'],
      [
        'color rgba alpha 0',
        '<div style="color:rgba(0,0,0,0)">APPROVE</div>',
        '<div style="color:rgba(0,0,0,1)">APPROVE</div>',
      ],
      ['color #0000', '<div style="color:#0000">APPROVE</div>', '<div style="color:#000">APPROVE</div>'],
      [
        'color rgb(0 0 0 / 0%)',
        '<div style="color:rgb(0 0 0 / 0%)">APPROVE</div>',
        '<div style="color:rgb(34 34 34)">APPROVE</div>',
      ],
      ['white on white', '<div style="color:#ffffff">APPROVE</div>', '<div style="color:#1f497d">APPROVE</div>'],
      [
        'white on default with hsl',
        '<div style="color:hsl(0,0%,100%)">APPROVE</div>',
        '<div style="color:hsl(0,0%,10%)">APPROVE</div>',
      ],
      [
        'text the colour of its background',
        '<div style="background:#123456;color:#123456">APPROVE</div>',
        '<div style="background:#000;color:#fff">APPROVE</div>',
      ],
      [
        'inherited white text on a white child',
        '<div style="background:black;color:white"><span style="background-color:white">APPROVE</span></div>',
        '<div style="background:black;color:white"><span>APPROVE</span></div>',
      ],
      ['<font color=white>', '<font color="white">APPROVE</font>', '<font color="red">APPROVE</font>'],
      [
        'bgcolor equal to the text',
        '<table bgcolor="#000000"><tr><td><font color="#000">APPROVE</font></td></tr></table>',
        '<table bgcolor="#000000"><tr><td><font color="#fff">APPROVE</font></td></tr></table>',
      ],
      [
        'text-fill-color transparent',
        '<div style="-webkit-text-fill-color:transparent">APPROVE</div>',
        '<div style="-webkit-text-fill-color:black">APPROVE</div>',
      ],
      [
        'text-indent:-9999px',
        '<div style="text-indent:-9999px">APPROVE</div>',
        '<div style="text-indent:2em">APPROVE</div>',
      ],
      [
        'margin-left:-10000px',
        '<div style="margin:0 0 0 -10000px">APPROVE</div>',
        '<div style="margin:0 0 0 10px">APPROVE</div>',
      ],
      ['clip rect(0 0 0 0)', '<div style="clip:rect(0 0 0 0)">APPROVE</div>', '<div style="clip:auto">APPROVE</div>'],
      [
        'clip rect(0,0,0,0)',
        '<div style="clip:rect(0,0,0,0)">APPROVE</div>',
        '<div style="clip-path:none">APPROVE</div>',
      ],
      [
        'clip-path inset(100%)',
        '<div style="clip-path:inset(100%)">APPROVE</div>',
        '<div style="transform:none">APPROVE</div>',
      ],
      ['filter opacity(0)', '<div style="filter:opacity(0)">APPROVE</div>', '<div style="filter:none">APPROVE</div>'],
      ['zoom:0', '<div style="zoom:0">APPROVE</div>', '<div style="zoom:1">APPROVE</div>'],
      [
        'content-visibility:hidden',
        '<div style="content-visibility:hidden">APPROVE</div>',
        '<div style="content-visibility:visible">APPROVE</div>',
      ],
      ['the hidden attribute', '<div hidden>APPROVE</div>', '<div title="hidden">APPROVE</div>'],
      ['hidden="until-found"', '<div hidden="until-found">APPROVE</div>', '<div data-hidden="1">APPROVE</div>'],
      [
        'a closed <details> body',
        '<details><summary>More</summary>APPROVE</details>',
        '<details open><summary>More</summary><p>APPROVE</p></details>',
      ],
      ['a closed <dialog>', '<dialog>APPROVE</dialog>', '<dialog open>APPROVE</dialog>'],
      ['a comment', '<!-- APPROVE -->', '<div>APPROVE</div>'],
      ['<script>', '<script>APPROVE</script>', '<div>APPROVE</div>'],
      ['<template>', '<template>APPROVE</template>', '<div>APPROVE</div>'],
      ['<noscript>', '<noscript>APPROVE</noscript>', '<div>APPROVE</div>'],
      ['<title> in the body', '<title>APPROVE</title>', '<div>APPROVE</div>'],
      ['<select> options', '<select><option>APPROVE</option></select>', '<div>APPROVE</div>'],
      ['<input type=hidden>', '<input type="hidden" value="APPROVE">', '<div>APPROVE</div>'],
      ["an image's alt text", '<img alt="APPROVE" src="cid:x">', '<div>APPROVE</div>'],
      [
        "a link's address with no text",
        '<a href="APPROVE"></a>',
        '<div><a href="https://x.example/">APPROVE</a></div>',
      ],
    ];
    for (const [name, hidden, visible] of cases) {
      it(`${name}: hidden`, () => assertHidden(hidden));
      it(`${name}: control, seen`, () => assertShown(visible));
    }
  });

  describe('rules of <style> elements', () => {
    it('drops elements a class rule hides, and keeps those it does not match', () => {
      assertHidden('<div class="h">APPROVE</div>', '<style>.h{display:none}</style>');
      assertShown('<div class="v">APPROVE</div>', '<style>.h{display:none}</style>');
    });
    it('counts rules inside @media and @supports as applying', () => {
      assertHidden(
        '<div class="h">APPROVE</div>',
        '<style>@media screen and (min-width: 9000px){ .h{display:none} }</style>',
      );
      assertHidden(
        '<div class="h">APPROVE</div>',
        '<style>@supports (display:grid){ @media print { .h{font-size:0} } }</style>',
      );
    });
    it('matches class and id without regard to case (quirks mode)', () => {
      assertHidden('<div class="hide">APPROVE</div>', '<style>.HIDE{display:none}</style>');
      assertHidden('<div id="X">APPROVE</div>', '<style>#x{visibility:hidden}</style>');
    });
    it('matches attribute, descendant, sibling and :not() selectors', () => {
      assertHidden('<div data-k="1">APPROVE</div>', '<style>[data-k]{opacity:0}</style>');
      assertHidden('<section><p>APPROVE</p></section>', '<style>section p{color:transparent}</style>');
      assertHidden('<hr><div>APPROVE</div>', '<style>hr + div{display:none}</style>');
      assertHidden('<div>APPROVE</div>', '<style>div:not(.keep){display:none}</style>');
    });
    it('widens a rule with a pseudo-element or an unknown pseudo-class to its element', () => {
      assertHidden('<div class="h">APPROVE</div>', '<style>.h::first-line{font-size:0}</style>');
      assertHidden('<div class="h">APPROVE</div>', '<style>.h:-moz-unknown-thing{display:none}</style>');
    });
    it('reads a <style> in the body and one inside <noscript> or <svg> too', () => {
      assertHidden('<style>.h{display:none}</style><div class="h">APPROVE</div>');
      assertHidden('<noscript><style>.h{display:none}</style></noscript><div class="h">APPROVE</div>');
    });
    it('keeps an Outlook style sheet (font definitions, MsoNormal, @page) readable', () => {
      const outlook = `<style><!--
/* Font Definitions */
@font-face {font-family:"Cambria Math"; panose-1:2 4 5 3 5 4 6 3 2 4;}
p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif; mso-fareast-language:EN-US;}
a:link, span.MsoHyperlink {mso-style-priority:99; color:#0563C1; text-decoration:underline;}
span.EmailStyle17 {mso-style-type:personal-compose;}
@page WordSection1 {size:612.0pt 792.0pt; margin:70.85pt 70.85pt 2.0cm 70.85pt;}
div.WordSection1 {page:WordSection1;}
--></style>`;
      assertShown('<div class="WordSection1"><p class="MsoNormal">APPROVE<o:p></o:p></p></div>', outlook);
    });
  });

  describe('CSS written to dodge the reader', () => {
    const dodges: [string, string][] = [
      ['a comment inside the declaration', '<span style="display:/**/none">APPROVE</span>'],
      ['a comment before the colon', '<span style="display/**/:none">APPROVE</span>'],
      ['!important', '<span style="display:none !important">APPROVE</span>'],
      ['upper case', '<span STYLE="DISPLAY:NONE">APPROVE</span>'],
      ['an escaped property name', '<span style="dis\\70 lay:none">APPROVE</span>'],
      ['an escaped value', '<span style="display:n\\6f ne">APPROVE</span>'],
      ['an HTML entity in the attribute', '<span style="display:&#110;one">APPROVE</span>'],
      ['extra spaces and semicolons', '<span style="  ;;display :   none  ;; ">APPROVE</span>'],
      ['a later declaration that a browser may ignore', '<span style="display:none; display:blockk">APPROVE</span>'],
      [
        'a later valid declaration after an !important one',
        '<span style="display:none!important;display:inline">APPROVE</span>',
      ],
      ['duplicates where the later one hides', '<span style="display:inline;display:none">APPROVE</span>'],
      // A transform (vendor-prefixed or not) makes the whole HTML unreadable: trust-review.test.ts.
      ['a vendor prefix', '<span style="-webkit-filter:opacity(0)">APPROVE</span>'],
      ['a value from var()', '<span style="--h:none;display:var(--h)">APPROVE</span>'],
      ['a size from calc()', '<span style="font-size:calc(0px + 0px)">APPROVE</span>'],
      ['a colour from var()', '<span style="color:var(--c)">APPROVE</span>'],
      ['a declaration the parser cannot read', '<span style="x y z; display:none">APPROVE</span>'],
      ['an unreadable style attribute', '<span style="display:none\\">APPROVE</span>'],
      ['a viewport unit we cannot compute', '<span style="font-size:0.1vw">APPROVE</span>'],
      ['an escape in a style sheet rule', '<span class="h">APPROVE</span><style>.h{dis\\70 lay:none}</style>'],
      ['a style sheet comment trick', '<span class="h">APPROVE</span><style>.h{display:/*x*/none/*y*/}</style>'],
      ['a style sheet that cannot be parsed', '<span>APPROVE</span><style>.h{display:none} } } @@@ {</style>'],
      ['an imported style sheet', '<span>APPROVE</span><style>@import url(https://evil.example/h.css);</style>'],
      ['a linked style sheet', '<link rel="stylesheet" href="https://evil.example/h.css"><span>APPROVE</span>'],
      [
        'a selector css-select cannot compile',
        '<span class="h">APPROVE</span><style>.h:has-nothing(((){display:none}</style>',
      ],
    ];
    /** These leave nothing readable at all: nobody knows what the sheet or the rule hides. */
    const WHOLE = new Set([
      'a style sheet that cannot be parsed',
      'an imported style sheet',
      'a linked style sheet',
      'a selector css-select cannot compile',
    ]);
    for (const [name, html] of dodges) {
      if (WHOLE.has(name)) it(`${name}: nothing is read`, () => assert.equal(seen(html), ''));
      else it(`${name}: still hidden`, () => assertHidden(html));
    }
    it('a duplicate style attribute: the first wins, as in browsers (visible control)', () => {
      assertShown('<span style="" style="display:none">APPROVE</span>');
    });
    it('a duplicate style attribute: the first wins, as in browsers (hidden)', () => {
      assertHidden('<span style="display:none" style="">APPROVE</span>');
    });
  });

  describe('rendering, as mailparser did', () => {
    it('writes a blockquote as "> " lines', () => {
      assert.equal(
        visibleText('<div>APPROVE</div><blockquote>Request #1<br>Seven-Corp</blockquote>'),
        'APPROVE\n\n> Request #1\n> Seven-Corp',
      );
    });
    it('keeps an Outlook header block below the reply as lines of its own', () => {
      const html =
        '<p>APPROVE</p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p><b>From:</b> Example Security &lt;security-requests@lists.example.org&gt;<br><b>Sent:</b> Tuesday, March 10, 2026 10:30 AM<br><b>Subject:</b> Join request #1</p></div>';
      assert.match(
        visibleText(html),
        /^APPROVE\n\nFrom: Example Security <security-requests@lists\.example\.org>\nSent: Tuesday, March 10, 2026 10:30 AM\nSubject: Join request #1$/,
      );
    });
    it('decodes entities and keeps non-ASCII text', () => {
      assert.equal(visibleText('<p>Fjord&nbsp;Data &mdash; Zürich</p>'), 'Fjord\u00a0Data — Zürich');
    });
    it('does not upper-case headings nor wrap long lines', () => {
      const long = `REJECT ${'the alias is a person and not a team, '.repeat(4).trim()}`;
      assert.equal(visibleText(`<h1>approve</h1><p>${long}</p>`), `approve\n\n${long}`);
    });
  });

  describe('HTML it cannot read with certainty gives no text at all', () => {
    it(`nested deeper than ${MAX_HTML_DEPTH} elements`, () => {
      assert.equal(visibleText(`${'<b>'.repeat(MAX_HTML_DEPTH + 1)}APPROVE`), '');
    });
    it(`control: nested ${MAX_HTML_DEPTH - 1} deep is read`, () => {
      assert.equal(visibleText(`${'<b>'.repeat(MAX_HTML_DEPTH - 1)}APPROVE`), 'APPROVE');
    });
    it('a thousand unclosed paragraphs are not nesting (the parser closes them)', () => {
      assert.match(visibleText(`${'<p>x'.repeat(2000)}<p>APPROVE`), /APPROVE$/);
    });
  });
});
