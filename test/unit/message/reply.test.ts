import assert from 'node:assert/strict';
import { firstReplyLine, ownReplyText, readKeyword } from '../../../src/message/reply';

const KNOWN = ['APPROVE', 'REJECT', 'ASK'] as const;

/** Lines joined as mailparser's `text` gives them (LF). */
const mail = (...lines: string[]): string => lines.join('\n');

/** What the bot's join-request notice looks like once quoted with "> ". */
const QUOTED_NOTICE = [
  '> Join request 42 from Seven-Corp',
  '>',
  '> Alias: istio-security-team@seven-corp.example',
  '> Reply with one of:',
  '> APPROVE',
  '> REJECT <reason>',
  '> ASK <question>',
  '>',
];

/** The same notice as Outlook leaves it under its header block: not quoted at all. */
const UNQUOTED_NOTICE = [
  'Join request 42 from Seven-Corp',
  '',
  'Alias: istio-security-team@seven-corp.example',
  'Reply with one of:',
  'APPROVE',
  'REJECT <reason>',
  'ASK <question>',
];

/** Each client's top-posted "APPROVE". */
const TOP_POSTED: Record<string, string> = {
  Gmail: mail(
    'APPROVE',
    '',
    'On Thu, Nov 26, 2026 at 10:00 AM Embargo List <istio-early-disclosure-requests@googlegroups.com> wrote:',
    '',
    ...QUOTED_NOTICE,
  ),
  'Gmail, attribution wrapped over two lines': mail(
    'APPROVE',
    '',
    'On Thu, Nov 26, 2026 at 10:00 AM Alice Example <',
    'alice@example.org> wrote:',
    '',
    ...QUOTED_NOTICE,
  ),
  'Gmail in German': mail(
    'APPROVE',
    '',
    'Am Do., 26. Nov. 2026 um 10:00 Uhr schrieb Embargo List <',
    'istio-early-disclosure-requests@googlegroups.com>:',
    '',
    ...QUOTED_NOTICE,
  ),
  'Gmail in French': mail(
    'APPROVE',
    '',
    'Le jeu. 26 nov. 2026 à 10:00, Embargo List <istio-early-disclosure-requests@googlegroups.com> a écrit\u00a0:',
    '',
    ...QUOTED_NOTICE,
  ),
  'Outlook desktop, Original Message': mail(
    'APPROVE',
    '',
    '-----Original Message-----',
    'From: Embargo List <istio-early-disclosure-requests@googlegroups.com>',
    'Sent: Thursday, November 26, 2026 10:00 AM',
    'To: Alice Example <alice@corp.example>',
    'Subject: [embargo-list] Join request 42 from Seven-Corp',
    '',
    ...UNQUOTED_NOTICE,
  ),
  'Outlook desktop, header block': mail(
    'APPROVE',
    '',
    'Alice Example',
    'Corp Product Security',
    '',
    'From: Embargo List <istio-early-disclosure-requests@googlegroups.com>',
    'Sent: Thursday, November 26, 2026 10:00 AM',
    'To: Alice Example <alice@corp.example>',
    'Subject: [embargo-list] Join request 42 from Seven-Corp',
    '',
    ...UNQUOTED_NOTICE,
  ),
  'Outlook on the web': mail(
    'APPROVE',
    '',
    '________________________________',
    'From: Embargo List <istio-early-disclosure-requests@googlegroups.com>',
    'Sent: Thursday, November 26, 2026 10:00',
    'To: Alice Example <alice@corp.example>',
    'Subject: [embargo-list] Join request 42 from Seven-Corp',
    '',
    ...UNQUOTED_NOTICE,
  ),
  'Outlook in German': mail(
    'APPROVE',
    '',
    '-----Ursprüngliche Nachricht-----',
    'Von: Embargo List <istio-early-disclosure-requests@googlegroups.com>',
    'Gesendet: Donnerstag, 26. November 2026 10:00',
    'An: Alice Example <alice@corp.example>',
    'Betreff: [embargo-list] Join request 42 from Seven-Corp',
    '',
    ...UNQUOTED_NOTICE,
  ),
  'Outlook in French': mail(
    'APPROVE',
    '',
    'De : Embargo List <istio-early-disclosure-requests@googlegroups.com>',
    'Envoyé : jeudi 26 novembre 2026 10:00',
    'À : Alice Example <alice@corp.example>',
    'Objet : [embargo-list] Join request 42 from Seven-Corp',
    '',
    ...UNQUOTED_NOTICE,
  ),
  'Apple Mail': mail(
    'APPROVE',
    '',
    'Sent from my iPhone',
    '',
    'On 26 Nov 2026, at 10:00, Embargo List <istio-early-disclosure-requests@googlegroups.com> wrote:',
    '',
    ...QUOTED_NOTICE,
  ),
  'Apple Mail in German': mail(
    'APPROVE',
    '',
    'Am 26.11.2026 um 10:00 schrieb Embargo List <istio-early-disclosure-requests@googlegroups.com>:',
    '',
    ...QUOTED_NOTICE,
  ),
  Thunderbird: mail('APPROVE', '', 'On 11/26/26 10:00, Embargo List wrote:', ...QUOTED_NOTICE),
  'Thunderbird in French': mail('APPROVE', '', 'Le 26/11/2026 à 10:00, Embargo List a écrit :', ...QUOTED_NOTICE),
};

describe('message/reply', () => {
  describe('firstReplyLine', () => {
    for (const [client, text] of Object.entries(TOP_POSTED)) {
      it(`reads a top-posted APPROVE from ${client}`, () => {
        assert.equal(firstReplyLine(text), 'APPROVE');
        assert.deepEqual(readKeyword(firstReplyLine(text), KNOWN), { keyword: 'APPROVE', argument: null });
      });
    }

    it('reads a REJECT bottom-posted under a Gmail quote, above a signature', () => {
      const text = mail(
        'On Thu, Nov 26, 2026 at 10:00 AM Embargo List <istio-early-disclosure-requests@googlegroups.com> wrote:',
        ...QUOTED_NOTICE,
        '',
        'REJECT Your alias is a personal address',
        '',
        '-- ',
        'Alice Example',
        'Istio Product Security, Corp',
      );
      assert.equal(firstReplyLine(text), 'REJECT Your alias is a personal address');
      assert.deepEqual(readKeyword(firstReplyLine(text), KNOWN), {
        keyword: 'REJECT',
        argument: 'Your alias is a personal address',
      });
    });

    it('reads a REJECT bottom-posted under a wrapped Gmail attribution', () => {
      const text = mail(
        'On Thu, Nov 26, 2026 at 10:00 AM Alice Example <',
        'alice@example.org> wrote:',
        '',
        ...QUOTED_NOTICE,
        '',
        'REJECT Your alias is a personal address',
      );
      assert.equal(firstReplyLine(text), 'REJECT Your alias is a personal address');
    });

    it('reads an ASK with a signature below it', () => {
      const text = mail(
        'ASK Which products ship Istio?',
        '',
        '--',
        'Alice Example | Product Security | Corp',
        '+1 555 0100',
        '',
        'On Thu, Nov 26, 2026 at 10:00 AM Embargo List <istio-early-disclosure-requests@googlegroups.com> wrote:',
        ...QUOTED_NOTICE,
      );
      assert.equal(firstReplyLine(text), 'ASK Which products ship Istio?');
      assert.deepEqual(readKeyword(firstReplyLine(text), KNOWN), {
        keyword: 'ASK',
        argument: 'Which products ship Istio?',
      });
    });

    it('finds a reply whose only own text is below a Thunderbird quote', () => {
      const text = mail('On 11/26/26 10:00, Embargo List wrote:', ...QUOTED_NOTICE, '', 'APPROVE.', '');
      assert.equal(firstReplyLine(text), 'APPROVE.');
      assert.deepEqual(readKeyword(firstReplyLine(text), KNOWN), { keyword: 'APPROVE', argument: null });
    });

    it('finds own text below a quote that follows a signature placed above it', () => {
      const text = mail(
        '-- ',
        'Alice Example',
        '',
        'Am 26.11.26 um 10:00 schrieb Embargo List:',
        ...QUOTED_NOTICE,
        '',
        'ASK Do you ship Istio in a product?',
      );
      assert.equal(firstReplyLine(text), 'ASK Do you ship Istio in a product?');
    });

    it('is null for a reply that is only quotes', () => {
      const text = mail(
        'On Thu, Nov 26, 2026 at 10:00 AM Embargo List <istio-early-disclosure-requests@googlegroups.com> wrote:',
        '',
        ...QUOTED_NOTICE,
        '',
      );
      assert.equal(firstReplyLine(text), null);
    });

    it('is null for a reply that is only quotes under a wrapped Gmail attribution, in English or German', () => {
      assert.equal(
        firstReplyLine(
          mail('On Thu, Nov 26, 2026 at 10:00 AM Alice Example <', 'alice@example.org> wrote:', '', ...QUOTED_NOTICE),
        ),
        null,
      );
      assert.equal(
        firstReplyLine(
          mail('Am Do., 26. Nov. 2026 um 10:00 Uhr schrieb Alice Example <', 'alice@example.org>:', ...QUOTED_NOTICE),
        ),
        null,
      );
    });

    it('is null for only blank lines, &nbsp; lines, a signature and a phone footer', () => {
      assert.equal(firstReplyLine(''), null);
      assert.equal(firstReplyLine(mail('   ', '&nbsp;', '\u00a0 &NBSP; \t', '\u200b', '')), null);
      assert.equal(firstReplyLine(mail('', 'Sent from my iPhone', '', ...QUOTED_NOTICE)), null);
      assert.equal(
        firstReplyLine(
          mail('-- ', 'Alice Example', 'Corp', '', 'On 11/26/26 10:00, Embargo List wrote:', ...QUOTED_NOTICE),
        ),
        null,
      );
    });

    it('is null for an Outlook reply with nothing typed, though the unquoted original has APPROVE on a line of its own', () => {
      const text = mail(
        '',
        '________________________________',
        'From: Embargo List <istio-early-disclosure-requests@googlegroups.com>',
        'Sent: Thursday, November 26, 2026 10:00',
        'To: Alice Example <alice@corp.example>',
        'Subject: [embargo-list] Join request 42 from Seven-Corp',
        '',
        ...UNQUOTED_NOTICE,
      );
      assert.equal(firstReplyLine(text), null);
    });

    it("returns the reply's own first line when only the quote says APPROVE", () => {
      const text = mail(
        'Thanks, looking',
        '',
        'On Thu, Nov 26, 2026 at 10:00 AM Bob Roe <bob@corp.example> wrote:',
        '> APPROVE',
        '>',
        '> On Thu, Nov 26, 2026 at 9:00 AM Embargo List <istio-early-disclosure-requests@googlegroups.com> wrote:',
        ...QUOTED_NOTICE.map((l) => `>${l}`),
      );
      assert.equal(firstReplyLine(text), 'Thanks, looking');
      assert.equal(readKeyword(firstReplyLine(text), KNOWN), null);
    });

    it('does not take an own line that starts with "On" for an attribution', () => {
      const text = mail(
        'On second thought, REJECT',
        'On Thu, Nov 26, 2026 at 10:00 AM Embargo List <istio-early-disclosure-requests@googlegroups.com> wrote:',
        ...QUOTED_NOTICE,
      );
      assert.equal(firstReplyLine(text), 'On second thought, REJECT');
    });

    it('does not take an own sentence ending in "wrote:" for an attribution', () => {
      const text = mail('REJECT because of what you wrote:', '> Alias: zerocool@gmail.com');
      assert.equal(firstReplyLine(text), 'REJECT because of what you wrote:');
    });

    it('skips a plain "Name wrote:" attribution that introduces a quote', () => {
      assert.equal(firstReplyLine(mail('Embargo List wrote:', ...QUOTED_NOTICE, '', 'APPROVE')), 'APPROVE');
      assert.equal(firstReplyLine(mail('alice@example.org wrote:', ...QUOTED_NOTICE, 'APPROVE')), 'APPROVE');
    });

    it('copes with CRLF, a byte-order mark, non-breaking spaces and &nbsp; around the line', () => {
      const text =
        '\ufeff\r\n&nbsp;\r\n\u00a0APPROVE&nbsp;\r\n\r\nOn 11/26/26 10:00, Embargo List wrote:\r\n> APPROVE\r\n';
      assert.equal(firstReplyLine(text), 'APPROVE');
    });

    it('keeps a line that merely starts with "From:" when no header block follows', () => {
      assert.equal(
        firstReplyLine(mail('From: the Corp security team, APPROVE', '', ...QUOTED_NOTICE)),
        'From: the Corp security team, APPROVE',
      );
    });
  });

  describe('ownReplyText', () => {
    it('keeps every own line and paragraph, without the signature or the quote', () => {
      const text = mail(
        'We ship Istio in Seven Mesh 3.2 and 3.3.',
        'Links: https://seven-corp.example/mesh',
        '',
        '',
        '',
        'Our PSIRT answers within one business day.',
        '',
        '-- ',
        'Alice Example',
        '',
        'On Thu, Nov 26, 2026 at 10:00 AM Embargo List <',
        'istio-early-disclosure-requests@googlegroups.com> wrote:',
        ...QUOTED_NOTICE,
      );
      assert.equal(
        ownReplyText(text),
        mail(
          'We ship Istio in Seven Mesh 3.2 and 3.3.',
          'Links: https://seven-corp.example/mesh',
          '',
          'Our PSIRT answers within one business day.',
        ),
      );
    });

    it('keeps own text interleaved between quotes, and stops at an Outlook original', () => {
      const text = mail(
        'On 11/26/26 10:00, Embargo List wrote:',
        '> Which products ship Istio?',
        'Seven Mesh.',
        '> Who reads the alias?',
        'Our PSIRT.',
        '',
        '________________________________',
        'From: Embargo List <istio-early-disclosure-requests@googlegroups.com>',
        'Sent: Thursday, November 26, 2026 10:00',
        ...UNQUOTED_NOTICE,
      );
      assert.equal(ownReplyText(text), 'Seven Mesh.\nOur PSIRT.');
    });

    it('is empty for a reply that is only quotes', () => {
      assert.equal(ownReplyText(mail('On 11/26/26 10:00, Embargo List wrote:', ...QUOTED_NOTICE, '&nbsp;')), '');
    });
  });

  describe('readKeyword', () => {
    it('reads a known keyword written in capitals, and nothing else: "approve" in a sentence is talk', () => {
      assert.deepEqual(readKeyword('APPROVE', KNOWN), { keyword: 'APPROVE', argument: null });
      assert.equal(readKeyword('approve', KNOWN), null);
      assert.equal(readKeyword('Reject', KNOWN), null);
    });

    it('reads an argument-less keyword only when it stands alone: "LIFT this once the patch is out" is not LIFT', () => {
      assert.equal(readKeyword('LIFT this only once the patch release is out, please.', ['LIFT']), null);
      assert.equal(readKeyword('APPROVE? The alias looks personal to me.', KNOWN), null);
      assert.equal(readKeyword('APPROVE?', KNOWN), null);
      assert.deepEqual(readKeyword('LIFT.', ['LIFT']), { keyword: 'LIFT', argument: null });
      assert.deepEqual(readKeyword('EMBARGO 2026-12-10 16:00 UTC', ['EMBARGO']), {
        keyword: 'EMBARGO',
        argument: '2026-12-10 16:00 UTC',
      });
    });

    it('reads the argument, trimmed', () => {
      assert.deepEqual(readKeyword('  REJECT   Your alias is a personal address  ', KNOWN), {
        keyword: 'REJECT',
        argument: 'Your alias is a personal address',
      });
      assert.deepEqual(readKeyword('REJECT: not a team alias', KNOWN), {
        keyword: 'REJECT',
        argument: 'not a team alias',
      });
      assert.deepEqual(readKeyword('ASK Which products ship Istio?', KNOWN), {
        keyword: 'ASK',
        argument: 'Which products ship Istio?',
      });
    });

    it('tolerates markdown and punctuation around the keyword', () => {
      for (const line of [
        '*APPROVE*',
        '**APPROVE**',
        '_APPROVE_',
        'APPROVE.',
        'APPROVE!',
        '"APPROVE"',
        '“APPROVE”',
        '- APPROVE',
        '`APPROVE`',
        '# APPROVE',
      ]) {
        assert.deepEqual(readKeyword(line, KNOWN), { keyword: 'APPROVE', argument: null }, line);
      }
      assert.deepEqual(readKeyword('**REJECT** not a team alias', KNOWN), {
        keyword: 'REJECT',
        argument: 'not a team alias',
      });
      assert.deepEqual(readKeyword('*REJECT not a team alias*', KNOWN), {
        keyword: 'REJECT',
        argument: 'not a team alias',
      });
    });

    it('is null for a keyword inside a sentence', () => {
      assert.equal(readKeyword('I would APPROVE this', KNOWN), null);
      assert.equal(readKeyword('Please APPROVE', KNOWN), null);
    });

    it('is null for a word that only begins with a keyword, or an unknown one', () => {
      for (const line of [
        'APPROVED',
        'APPROVE-ish',
        'APPROVEREJECT',
        'approve,thanks',
        'UNSUBSCRIBE me',
        'Thanks, looking',
      ]) {
        assert.equal(readKeyword(line, KNOWN), null, line);
      }
    });

    it('is null for nothing, and for look-alike letters from another alphabet', () => {
      assert.equal(readKeyword(null, KNOWN), null);
      assert.equal(readKeyword('', KNOWN), null);
      assert.equal(readKeyword('&nbsp;', KNOWN), null);
      assert.equal(readKeyword('***', KNOWN), null);
      assert.equal(readKeyword('\u0410PPROVE', KNOWN), null); // Cyrillic capital A
      assert.equal(readKeyword('APPROVE', []), null);
    });
  });
});
