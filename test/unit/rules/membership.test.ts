import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import { fromMember, fromNonMember } from '../../../src/rules/membership';
import type { Snapshot } from '../../../src/rules/types';
import { LIST_ADDRESS } from '../../helpers/context';
import { snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';

const member: Snapshot = snapshotWith({ senderIsMember: true, alreadyRelayed: false });
const stranger: Snapshot = { ...member, senderIsMember: false };

describe('rules/membership', () => {
  describe('from-member', () => {
    it('hits when the snapshot says the sender is an active member, naming the address in lower case', async () => {
      const msg = await parseMessage(makeMessage({ from: 'Alice <ALICE@Member.Example>', to: LIST_ADDRESS }));
      assert.equal(fromMember.check(msg, member), 'alice@member.example is an active member');
    });

    it('misses when the sender is not a member', async () => {
      const msg = await parseMessage(makeMessage({ from: 'mallory@evil.example', to: LIST_ADDRESS }));
      assert.equal(fromMember.check(msg, stranger), null);
    });

    it('misses a sender who only claims a member address in the display name', async () => {
      // The snapshot is built from msg.from.address, which is the address in angle brackets.
      const msg = await parseMessage(
        makeMessage({ from: '"alice@member.example" <mallory@evil.example>', to: LIST_ADDRESS }),
      );
      assert.equal(msg.from.address, 'mallory@evil.example');
      assert.equal(fromMember.check(msg, stranger), null);
    });
  });

  describe('from-non-member', () => {
    it('hits when the sender is not an active member, naming the address', async () => {
      const msg = await parseMessage(makeMessage({ from: 'mallory@evil.example', to: LIST_ADDRESS }));
      assert.equal(fromNonMember.check(msg, stranger), 'mallory@evil.example is not an active member');
    });

    it('misses when the sender is an active member', async () => {
      const msg = await parseMessage(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }));
      assert.equal(fromNonMember.check(msg, member), null);
    });

    it('hits a forged Sender or Reply-To naming a member when From is a stranger', async () => {
      const msg = await parseMessage(
        makeMessage({
          from: 'mallory@evil.example',
          to: LIST_ADDRESS,
          headers: { Sender: 'alice@member.example', 'Reply-To': 'alice@member.example' },
        }),
      );
      assert.equal(msg.from.address, 'mallory@evil.example');
      assert.notEqual(fromNonMember.check(msg, stranger), null);
    });
  });
});
