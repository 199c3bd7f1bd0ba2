import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import {
  ackKeyword,
  fromModerator,
  helpRequest,
  moderatorKeyword,
  MODERATOR_KEYWORDS,
  removeKeyword,
  unsubscribeKeyword,
} from '../../../src/rules/keywords';
import { MODERATORS, REQUESTS_ADDRESS, snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';

function mail(subject = 'Re: request 12', from = 'alice@member.example') {
  return parseMessage(makeMessage({ from, to: REQUESTS_ADDRESS, subject }));
}
const wrote = (keyword: string, argument: string | null = null) => snapshotWith({ keyword: { keyword, argument } });

describe('rules/keywords', () => {
  describe('moderator-keyword', () => {
    it('hits every moderator keyword, naming it', async () => {
      const msg = await mail();
      for (const k of MODERATOR_KEYWORDS) assert.equal(moderatorKeyword.check(msg, wrote(k)), `first line reads ${k}`);
    });

    it('misses when the sender wrote no keyword', async () => {
      assert.equal(moderatorKeyword.check(await mail(), snapshotWith()), null);
    });

    it('misses the member and request keywords', async () => {
      const msg = await mail();
      for (const k of ['ACK', 'UNSUBSCRIBE', 'REMOVE', 'HELP'])
        assert.equal(moderatorKeyword.check(msg, wrote(k)), null, k);
    });

    it('misses a keyword that only appears in the subject or in the argument of another', async () => {
      // The rule reads what the sender wrote on the first line (snap.keyword), never the subject.
      assert.equal(moderatorKeyword.check(await mail('APPROVE'), snapshotWith()), null);
      assert.equal(moderatorKeyword.check(await mail(), wrote('ACK', 'APPROVE')), null);
    });

    it('misses near-misses a reader could take for a keyword', async () => {
      const msg = await mail();
      for (const k of ['APPROVED', 'approve', 'APPROVE ', 'ΑPPROVE' /* Greek capital alpha */]) {
        assert.equal(moderatorKeyword.check(msg, wrote(k)), null, JSON.stringify(k));
      }
    });

    it('hits whoever wrote it: whether the sender may act is for the other rules of the row', async () => {
      const stranger = await mail('Re: request 12', 'mallory@evil.example');
      assert.equal(
        moderatorKeyword.check(stranger, { ...wrote('APPROVE'), senderIsModerator: false }),
        'first line reads APPROVE',
      );
    });
  });

  describe('ack, unsubscribe and remove keywords', () => {
    it('hit their own keyword', async () => {
      const msg = await mail();
      assert.equal(ackKeyword.check(msg, wrote('ACK')), 'first line reads ACK');
      assert.equal(unsubscribeKeyword.check(msg, wrote('UNSUBSCRIBE')), 'first line reads UNSUBSCRIBE');
      assert.equal(
        removeKeyword.check(msg, wrote('REMOVE', 'alias@member.example left the company')),
        'first line reads REMOVE',
      );
    });

    it("miss no keyword and each other's keyword", async () => {
      const msg = await mail();
      for (const rule of [ackKeyword, unsubscribeKeyword, removeKeyword])
        assert.equal(rule.check(msg, snapshotWith()), null, rule.name);
      assert.equal(ackKeyword.check(msg, wrote('APPROVE')), null);
      assert.equal(unsubscribeKeyword.check(msg, wrote('REMOVE')), null);
      assert.equal(removeKeyword.check(msg, wrote('UNSUBSCRIBE')), null);
    });

    it('miss a keyword in lower case or with a suffix, which the reader never produces', async () => {
      const msg = await mail();
      assert.equal(ackKeyword.check(msg, wrote('ack')), null);
      assert.equal(ackKeyword.check(msg, wrote('ACKNOWLEDGED')), null);
      assert.equal(unsubscribeKeyword.check(msg, wrote('UNSUBSCRIBED')), null);
    });
  });

  describe('help-request', () => {
    it('hits "help" as the subject, after reply and forward prefixes, and with punctuation', async () => {
      for (const subject of ['help', 'HELP', 'Re: help', 'Re: Fwd: AW: help?', 'help!']) {
        assert.equal(helpRequest.check(await mail(subject), snapshotWith()), 'asks for help', subject);
      }
    });

    it('hits HELP as the first line the sender wrote', async () => {
      assert.equal(helpRequest.check(await mail('question'), wrote('HELP')), 'asks for help');
    });

    it('misses a subject that only starts with help, and no keyword', async () => {
      for (const subject of ['help with CVE-2026-1234', 'helpdesk ticket', 'Re: request 12']) {
        assert.equal(helpRequest.check(await mail(subject), snapshotWith()), null, subject);
      }
    });

    it('misses a subject that hides "help" behind a look-alike or a prefix that is not a reply marker', async () => {
      for (const subject of ['hеlp' /* Cyrillic e */, 'Urgent: help', 'help me exploit this']) {
        assert.equal(helpRequest.check(await mail(subject), snapshotWith()), null, subject);
      }
    });
  });

  describe('from-moderator', () => {
    it('hits when the snapshot says the From address is a configured moderator, naming it', async () => {
      const msg = await mail('Re: request 12', MODERATORS[0]);
      assert.equal(
        fromModerator.check(msg, snapshotWith({ senderIsModerator: true })),
        `${MODERATORS[0]} is a configured moderator`,
      );
    });

    it('misses anyone else', async () => {
      assert.equal(fromModerator.check(await mail(), snapshotWith({ senderIsModerator: false })), null);
    });

    it("misses a stranger who puts a moderator's address in the display name", async () => {
      const msg = await mail('Re: request 12', `"${MODERATORS[0]}" <mallory@evil.example>`);
      assert.equal(msg.from.address, 'mallory@evil.example');
      assert.equal(fromModerator.check(msg, snapshotWith({ senderIsModerator: false })), null);
    });
  });
});
