import assert from 'node:assert/strict';
import { readLines } from '../../../src/message/own-text';
import { firstReplyLine, ownReplyText, readKeyword } from '../../../src/message/reply';

const mail = (...lines: string[]): string => lines.join('\n');
const kinds = (text: string): string[] => readLines(text).map((l) => l.kind);

describe('message/own-text: the one reader of what a sender wrote', () => {
  it('gives each line a kind, and stops at an Outlook original', () => {
    assert.deepEqual(
      kinds(
        mail(
          'APPROVE',
          '',
          '> quoted',
          'On Tue, 3 Mar 2026 at 10:00, Mod <m@x.example> wrote:',
          '> earlier',
          '',
          'More of mine',
          '-- ',
          'Alice',
          '',
          'Sent from my iPhone',
          'From: Mod <m@x.example>',
          'Sent: Tuesday',
          'APPROVE',
        ),
      ),
      [
        'own',
        'blank',
        'quote',
        'attribution',
        'earlier',
        'blank',
        'own',
        'signature',
        'signature',
        'signature',
        'signature',
      ],
    );
  });

  it('reads Spanish, Dutch and Italian Gmail attributions, and an undated "On ..., X wrote:" only above a quote', () => {
    for (const a of [
      'El jue, 26 nov 2026 a las 10:00, Embargo List (<list@x.example>) escribió:',
      'Op do 26 nov. 2026 om 10:00 schreef Embargo List <list@x.example>:',
      'Il giorno gio 26 nov 2026 alle ore 10:00 Embargo List <list@x.example> ha scritto:',
      'On Thursday, Embargo List wrote:',
    ]) {
      assert.equal(firstReplyLine(mail(a, '> APPROVE', '', 'REJECT not ours')), 'REJECT not ours', a);
    }
    assert.equal(firstReplyLine(mail('On Thursday, the team wrote:', 'APPROVE')), 'On Thursday, the team wrote:');
  });

  describe('a dash-and-name sign-off', () => {
    for (const sig of ['-Joe', '- Joe', '--Joe', '— Joe', '– Joe', '~Joe', '-Joe S.']) {
      it(`leaves "${sig}" out of the sender's text, with the short lines under it`, () => {
        assert.equal(
          ownReplyText(mail('LEAK', 'What: the patch', 'To whom: a customer', sig, 'Acme PSIRT')),
          'LEAK\nWhat: the patch\nTo whom: a customer',
        );
      });
    }

    it('reads own text again below a quote that follows the sign-off', () => {
      assert.equal(
        ownReplyText(mail('Thanks', '-Joe', '> earlier', 'P.S. one more thing')),
        'Thanks\nP.S. one more thing',
      );
    });

    it('keeps bulleted names, a name after a line ending in ":", and a dash line with a long paragraph under it', () => {
      assert.equal(ownReplyText('Reviewers:\n- Alice\n- Bob'), 'Reviewers:\n- Alice\n- Bob');
      assert.equal(ownReplyText('Who:\n-Alice'), 'Who:\n-Alice');
      const long =
        'Thanks\n-Alice\nwill look at the proxy crash in detail tomorrow morning and report back to the list.';
      assert.equal(ownReplyText(long), long);
    });

    it('never takes a keyword for a name: "- APPROVE" and "— REJECT reason" stay the first line', () => {
      assert.deepEqual(readKeyword(firstReplyLine('- APPROVE'), ['APPROVE']), { keyword: 'APPROVE', argument: null });
      assert.deepEqual(readKeyword(firstReplyLine('— REJECT personal address'), ['REJECT']), {
        keyword: 'REJECT',
        argument: 'personal address',
      });
    });

    it('does not read a bare "-Joe" as a command, nor lets it hide a keyword above it', () => {
      assert.equal(firstReplyLine('-Joe'), null);
      assert.equal(firstReplyLine('APPROVE\n-Joe'), 'APPROVE');
    });
  });
});
