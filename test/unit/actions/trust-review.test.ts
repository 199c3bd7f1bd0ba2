/**
 * Issue 8, adversarial review: ways around the trust work that the first round of tests did not
 * try, each through processRaw as an authenticated moderator's reply would arrive, with the
 * legitimate replies they must not break beside them.
 */
import assert from 'node:assert/strict';
import { visibleText } from '../../../src/message/visible-text';
import { joinRequest, Membership, type Sent, alternativeReply, htmlReply } from '../../helpers/membership';

describe('trust review: an APPROVE a reader cannot see, hidden by layout rather than by a hiding property', () => {
  let h: Membership;
  let moderation: Sent;

  beforeEach(async () => {
    h = new Membership();
    moderation = await h.submit(joinRequest());
  });

  const hidden: [string, string][] = [
    // Browsers put these into <html><body>: the first <div> is body's first child, hidden.
    [
      'a :first-child rule, in HTML written without <html> and <body>',
      '<style>div:first-child{display:none}</style><div>APPROVE</div><div>I am not sure</div>',
    ],
    [
      'a "body > div" rule, in HTML written without <body>',
      '<style>body > div:first-of-type{display:none}</style><div>APPROVE</div><p>I am not sure</p>',
    ],
    [
      'covered by the next block, pulled up over it with a negative margin',
      '<div>APPROVE</div><div style="position:relative;margin-top:-1.2em;background:#fff">I am not sure</div>',
    ],
    [
      'covered by an absolutely positioned block',
      '<div style="position:relative"><div>APPROVE</div><div style="position:absolute;top:0;left:0;width:100%;background:#fff">I am not sure</div></div>',
    ],
    [
      'covered by a block moved up with transform',
      '<div>APPROVE</div><div style="transform:translateY(-1.2em);background:#fff">I am not sure</div>',
    ],
    [
      'pushed out of a clipped box by padding',
      '<div style="height:20px;overflow:hidden"><div style="padding-top:60px">APPROVE</div></div><div>I am not sure</div>',
    ],
    [
      'pushed out of a clipped box by a tall line',
      '<div style="max-height:20px;overflow:hidden"><div style="line-height:200px">APPROVE</div></div><div>I am not sure</div>',
    ],
    [
      'faded out for good by an animation',
      '<style>@keyframes f{from{opacity:0}to{opacity:0}}</style><div style="animation:f 1s forwards">APPROVE</div><div>I am not sure</div>',
    ],
    [
      'black on a black background image',
      '<div style="color:#000;background-image:url(https://example.net/black.png)">APPROVE</div><div>I am not sure</div>',
    ],
    [
      'black on a black gradient',
      '<div style="color:#000;background:linear-gradient(#000,#000)">APPROVE</div><div>I am not sure</div>',
    ],
    // A browser reopens the formatting element that </p> closed too early: its clone, display:none and all, wraps APPROVE.
    [
      'inside a <b style="display:none"> that the parser reopens after </p>',
      '<p><b style="display:none">x</p>APPROVE</b><div>I am not sure</div>',
    ],
    // A browser ignores </span> while a <div> inside it is open: APPROVE stays in the hidden span.
    [
      'inside a <span style="display:none"> whose </span> a browser ignores',
      '<span style="display:none"><div>x</span>APPROVE</div><p>Not sure yet</p>',
    ],
    [
      'shown after the visible text by a reversed flex column',
      '<div style="display:flex;flex-direction:column-reverse"><div>APPROVE</div><div>I am not sure</div></div>',
    ],
  ];
  for (const [how, html] of hidden) {
    it(`an HTML-only reply whose APPROVE is ${how} does not approve`, async () => {
      await h.receive(
        htmlReply(moderation, `<html><body>${html}</body></html>`.replace('<html><body><style>', '<style>')),
      );
      assert.equal(h.request(1).state, 'moderation');
    });
  }

  it('control: a visible APPROVE above a Gmail signature with a sized image box still approves', async () => {
    await h.receive(
      htmlReply(
        moderation,
        '<div dir="ltr">APPROVE</div><div class="gmail_signature"><div style="width:120px">Jo Example</div></div>',
      ),
    );
    assert.equal(h.request(1).state, 'confirming');
  });

  it("control: Outlook's HTML-only APPROVE (Word style sheet, list paragraphs, reply header block) approves", async () => {
    const outlook = `<html><head><style><!--
@font-face {font-family:"Cambria Math"; panose-1:2 4 5 3 5 4 6 3 2 4;}
p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0in; font-size:11.0pt; font-family:"Calibri",sans-serif;}
p.MsoListParagraph {margin-top:0in; margin-right:0in; margin-bottom:0in; margin-left:.5in; text-indent:-.25in;}
a:link, span.MsoHyperlink {mso-style-priority:99; color:#0563C1; text-decoration:underline;}
@page WordSection1 {size:8.5in 11.0in; margin:1.0in 1.0in 1.0in 1.0in;}
div.WordSection1 {page:WordSection1;}
--></style></head><body lang="EN-US" link="#0563C1" style="word-wrap:break-word"><div class="WordSection1">
<p class="MsoNormal">APPROVE<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in"><p class="MsoNormal"><b>From:</b> Example Security<br><b>Sent:</b> Tuesday, March 10, 2026 10:30 AM<br><b>To:</b> Moderator<br><b>Subject:</b> Join request #1</p></div>
<p class="MsoNormal">Request #1 to join Example Security.</p></div></body></html>`;
    await h.receive(htmlReply(moderation, outlook));
    assert.equal(h.request(1).state, 'confirming');
  });

  it("control: Gmail's multipart APPROVE with its quote block approves", async () => {
    const html =
      '<div dir="ltr">APPROVE</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Mar 10, 2026 at 10:30 AM Example Security wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Request #1</blockquote></div>';
    await h.receive(
      alternativeReply(
        moderation,
        'APPROVE\n\nOn Tue, Mar 10, 2026 at 10:30 AM Example Security wrote:\n> Request #1\n',
        html,
      ),
    );
    assert.equal(h.request(1).state, 'confirming');
  });
});

describe('trust review: HTML whose layout can cover, move or clip text reads as nothing at all', () => {
  // Removing only the element that moves would read the text it covers: the whole HTML is unreadable.
  for (const [what, style] of [
    ['position:absolute', 'position:absolute'],
    ['position:fixed', 'position:fixed'],
    ['position:sticky', 'position:sticky'],
    ['a relative offset', 'position:relative;top:-18px'],
    ['a negative margin', 'margin-top:-1em'],
    ['a negative margin shorthand', 'margin:-20px 0 0 0'],
    ['transform', 'transform:translateY(-20px)'],
    ['-webkit-transform', '-webkit-transform:rotate(180deg)'],
    ['translate', 'translate:0 -20px'],
    ['a negative z-index', 'z-index:-1'],
    ['an animation', 'animation:fade 1s forwards'],
    ['animation-name', 'animation-name:fade'],
    ['flex order', 'order:-1'],
    ['row-reverse', 'display:flex;flex-flow:row-reverse wrap'],
    ['a sized box with overflow hidden', 'height:40px;overflow:hidden'],
    ['a sized box with overflow clip', 'max-width:50px;overflow-x:clip'],
  ] as const) {
    it(`${what}: no visible text`, () => {
      assert.equal(visibleText(`<div>APPROVE</div><div style="${style}">I am not sure</div>`), '');
      assert.equal(
        visibleText(`<style>.c{${style}}</style><div>APPROVE</div><div class="c">I am not sure</div>`),
        '',
        'from a style sheet too',
      );
    });
  }
  for (const [what, style] of [
    ['position:static', 'position:static'],
    ['position:relative alone', 'position:relative'],
    ['a positive margin', 'margin:0 0 0 0.8ex'],
    ['z-index:0', 'z-index:0'],
    ['animation:none', 'animation:none'],
    ['transform:none', 'transform:none'],
    ['a sized box that does not clip', 'height:40px'],
  ] as const) {
    it(`control: ${what} is read`, () => {
      assert.equal(
        visibleText(`<div>APPROVE</div><div style="${style}">I am not sure</div>`),
        'APPROVE\nI am not sure',
      );
    });
  }
  it("text on a background image or gradient is not read (it may be of the text's colour)", () => {
    assert.equal(
      visibleText('<div style="background:url(x.png) #fff">APPROVE</div><div>I am not sure</div>'),
      'I am not sure',
    );
    assert.equal(
      visibleText('<div style="background-image:linear-gradient(#000,#000)">APPROVE</div><div>I am not sure</div>'),
      'I am not sure',
    );
    assert.equal(visibleText('<div style="background-image:none">APPROVE</div>'), 'APPROVE', 'control');
  });
  it('HTML whose parser stack of open elements grows past the depth limit (misnested <a><b><div>) gives no text', () => {
    assert.equal(visibleText(`${'<a><b><div>x</a>'.repeat(2000)}APPROVE`), '');
    assert.match(visibleText(`${'<a><b><div>x</a>'.repeat(100)}APPROVE`), /APPROVE/, 'control: a few of them are read');
  });
  it('a <style> inside <noscript> applies (a mail client runs no script)', () => {
    assert.equal(
      visibleText(
        '<noscript><style>.h{display:none}</style></noscript><div class="h">APPROVE</div><div>I am not sure</div>',
      ),
      'I am not sure',
    );
  });
});

describe('trust review: a genuine REJECT with a link, as Gmail and Thunderbird write its plain part', () => {
  let h: Membership;
  let moderation: Sent;

  beforeEach(async () => {
    h = new Membership();
    moderation = await h.submit(joinRequest());
  });

  for (const [client, plain] of [
    ['Gmail', 'REJECT please read our membership policy <https://example.org/policy> first\n'],
    ['Outlook', 'REJECT please read our membership policy<https://example.org/policy> first\n'],
  ] as const) {
    it(`a REJECT whose plain part (${client}) adds the link's address after its text rejects`, async () => {
      const html =
        '<div dir="ltr">REJECT please read our membership <a href="https://example.org/policy">policy</a> first</div>';
      const result = await h.receive(alternativeReply(moderation, plain, html));
      assert.equal(result.outcome, 'moderator-command');
      assert.equal(h.request(1).state, 'rejected');
    });
  }

  it("but a plain part whose words differ from the HTML beyond a link's address still refuses", async () => {
    const html =
      '<div dir="ltr">REJECT please read our membership <a href="https://example.org/policy">policy</a> first</div>';
    const result = await h.receive(
      alternativeReply(
        moderation,
        'REJECT please read our membership policy <https://example.org/policy> later\n',
        html,
      ),
    );
    assert.equal(result.outcome, 'refuse');
    assert.equal(h.request(1).state, 'moderation');
  });
});
