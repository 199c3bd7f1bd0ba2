import assert from 'node:assert/strict';
import { decide, INBOUND_CHAIN, type ChainRow } from '../../../src/chains/inbound';
import type { Hit } from '../../../src/rules/types';
import { RULES } from '../../../src/rules';

const hit = (...rules: string[]): Hit[] => rules.map((rule) => ({ rule, reason: `${rule} reason` }));

describe('chains/inbound (decide)', () => {
  it('relays a member post to the list', () => {
    assert.deepEqual(decide(hit('to-list', 'from-member')), { outcome: 'relay', label: 'member-post', hits: hit('to-list', 'from-member') });
  });

  it('holds a post to the list from a stranger (neither member nor moderator)', () => {
    const d = decide(hit('to-list', 'from-non-member', 'from-stranger'));
    assert.equal(d.outcome, 'hold');
    assert.equal(d.label, 'non-member');
  });

  it('discards a loop before anything else, even a member post', () => {
    const d = decide(hit('loop', 'to-list', 'from-member'));
    assert.equal(d.outcome, 'discard');
    assert.equal(d.label, 'loop');
  });

  it('discards a duplicate of a relayed post', () => {
    const d = decide(hit('duplicate', 'to-list', 'from-member'));
    assert.deepEqual([d.outcome, d.label], ['discard', 'duplicate']);
  });

  it('takes other mail to the requests address, even from a member, as a join request', () => {
    const d = decide(hit('to-requests', 'from-member'));
    assert.deepEqual([d.outcome, d.label], ['join-request', 'join-request']);
  });

  it('holds a member post that names neither list address (implicit destination)', () => {
    const d = decide(hit('implicit-destination', 'from-member'));
    assert.deepEqual([d.outcome, d.label], ['hold', 'implicit-destination']);
  });

  it('keeps every hit on the decision, not only the ones of the matching row', () => {
    const hits = hit('to-list', 'from-non-member');
    assert.deepEqual(decide(hits).hits, hits);
  });

  it('holds a message that no row matches (fail closed)', () => {
    assert.deepEqual(decide([]), { outcome: 'hold', label: 'no-rule-matched', hits: [] });
  });

  it('does not relay on a member hit alone, without the list address', () => {
    assert.equal(decide(hit('from-member')).outcome, 'hold');
  });

  it('does not relay when contradictory hits say both member and stranger: the stranger row comes first', () => {
    assert.equal(decide(hit('to-list', 'from-member', 'from-stranger')).outcome, 'hold');
  });

  it('holds an unauthenticated post to the list, even from a member', () => {
    assert.deepEqual(decide(hit('to-list', 'from-member', 'unauthenticated')).label, 'unauthenticated');
  });

  it('opens a disclosure for a moderator\'s new post, and relays a reply in a thread', () => {
    assert.equal(decide(hit('to-list', 'from-moderator', 'from-non-member', 'new-thread')).outcome, 'open-disclosure');
    assert.equal(decide(hit('to-list', 'from-moderator', 'from-member', 'new-thread', 'leak')).outcome, 'open-disclosure', 'a moderator-member\'s new post whose subject starts with LEAK still opens a disclosure');
    assert.equal(decide(hit('to-list', 'from-member', 'in-thread')).outcome, 'thread-post');
    assert.equal(decide(hit('to-list', 'from-member', 'in-thread', 'ack-keyword')).outcome, 'ack');
    assert.equal(decide(hit('to-list', 'from-member', 'in-thread', 'leak')).outcome, 'leak-report');
    assert.equal(decide(hit('to-list', 'from-member', 'names-thread', 'leak')).outcome, 'leak-report');
    assert.equal(decide(hit('to-list', 'from-member', 'leak')).label, 'leak-without-thread');
    assert.equal(decide(hit('to-list', 'from-stranger', 'from-non-member', 'in-thread', 'leak')).label, 'leak-from-non-member');
  });

  it('holds a member\'s new post (member-new-thread) when members may not open threads, but not its replies in a thread', () => {
    assert.deepEqual(decide(hit('to-list', 'from-member', 'new-thread', 'members-may-not-open')).label, 'member-new-thread');
    assert.equal(decide(hit('to-list', 'from-member', 'new-thread', 'members-may-not-open')).outcome, 'hold');
    assert.equal(decide(hit('to-list', 'from-member', 'in-thread', 'members-may-not-open')).outcome, 'thread-post');
    assert.equal(decide(hit('to-list', 'from-member', 'in-thread', 'ack-keyword', 'members-may-not-open')).outcome, 'ack');
    assert.equal(decide(hit('to-list', 'from-moderator', 'from-member', 'new-thread', 'members-may-not-open')).outcome, 'open-disclosure');
    assert.equal(decide(hit('to-list', 'from-member', 'new-thread')).outcome, 'relay');
  });

  it('ignores a hit from a rule it does not know', () => {
    const d = decide(hit('something-new'));
    assert.deepEqual([d.outcome, d.label], ['hold', 'no-rule-matched']);
  });

  it('takes the first row whose rules all hit, in a custom chain', () => {
    const chain: ChainRow[] = [
      { when: ['a', 'b'], outcome: 'discard', label: 'both' },
      { when: ['a'], outcome: 'relay', label: 'a-only' },
    ];
    assert.equal(decide(hit('a'), chain).label, 'a-only');
    assert.equal(decide(hit('b', 'a'), chain).label, 'both');
  });

  it('names only rules that exist in every row of the inbound chain', () => {
    const names = new Set(RULES.map((r) => r.name));
    for (const row of INBOUND_CHAIN) for (const w of row.when) assert.ok(names.has(w), `${row.label} names rule ${w}`);
  });
});
