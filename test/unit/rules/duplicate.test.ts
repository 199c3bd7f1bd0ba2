import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import { duplicate } from '../../../src/rules/duplicate';
import type { Snapshot } from '../../../src/rules/types';
import { LIST_ADDRESS } from '../../helpers/context';
import { snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';

const base: Snapshot = snapshotWith({ senderIsMember: true, alreadyRelayed: false });

describe('rules/duplicate', () => {
  it('hits a message whose Message-ID was already relayed, naming the Message-ID', async () => {
    const msg = await parseMessage(
      makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS, messageId: '<post-1@member.example>' }),
    );
    assert.equal(
      duplicate.check(msg, { ...base, alreadyRelayed: true }),
      'Message-ID <post-1@member.example> was already relayed',
    );
  });

  it('misses a message whose Message-ID has not been relayed', async () => {
    const msg = await parseMessage(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }));
    assert.equal(duplicate.check(msg, base), null);
  });

  it('reads only the snapshot, not headers that claim a resend', async () => {
    const msg = await parseMessage(
      makeMessage({
        from: 'alice@member.example',
        to: LIST_ADDRESS,
        headers: { 'Resent-Message-ID': '<post-1@member.example>', 'X-Duplicate': 'yes' },
      }),
    );
    assert.equal(duplicate.check(msg, base), null);
  });
});
