import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decide,
  findRow,
  holdReasons,
  INBOUND_CHAIN,
  INBOUND_CHAINS,
  matches,
  type SubChain,
} from '../../../src/chains/inbound';
import { RULES } from '../../../src/rules';
import { RULE_NAMES, type Hit, type RuleName } from '../../../src/rules/types';
import { FLAT_TABLE_BEFORE_SUBCHAINS } from './flat-table-before';
import { snapshotWith } from '../../helpers/context';
import { disclosureThread } from '../../helpers/snapshot-parts';

const hit = (...rules: RuleName[]): Hit[] => rules.map((rule) => ({ rule, reason: `${rule} reason` }));
/** What the rules read when a message replies in disclosure thread #7 (or names #9 from a new mail). */
const THREAD = disclosureThread(7);
const NAMED = disclosureThread(9);
const inThread = snapshotWith({ thread: THREAD });
const namingThread = snapshotWith({ namedThread: NAMED });
const plain = snapshotWith();
const outcomeOf = (hits: Hit[], snap = inThread) => decide(hits, snap).outcome;
const labelOf = (hits: Hit[], snap = inThread) => decide(hits, snap).label;

describe('chains/inbound (decide)', () => {
  it('relays a member post to the list', () => {
    const hits = hit('to-list', 'from-member');
    assert.deepEqual(decide(hits, plain), { outcome: 'relay', label: 'member-post', hits });
  });

  it('holds a post to the list from a stranger (neither member nor moderator), with the stranger hit as its reason', () => {
    const d = decide(hit('to-list', 'from-non-member', 'from-stranger'), plain);
    assert.deepEqual(d.outcome === 'hold' && [d.label, d.reasons], ['non-member', ['from-stranger reason']]);
  });

  it('discards a loop before anything else, even a member post', () => {
    assert.deepEqual(
      [outcomeOf(hit('loop', 'to-list', 'from-member')), labelOf(hit('loop', 'to-list', 'from-member'))],
      ['discard', 'loop'],
    );
  });

  it('discards a duplicate of a relayed post', () => {
    assert.deepEqual(
      [outcomeOf(hit('duplicate', 'to-list', 'from-member')), labelOf(hit('duplicate', 'to-list', 'from-member'))],
      ['discard', 'duplicate'],
    );
  });

  it('takes other mail to the requests address, even from a member, as a join request', () => {
    assert.deepEqual(
      [outcomeOf(hit('to-requests', 'from-member')), labelOf(hit('to-requests', 'from-member'))],
      ['join-request', 'join-request'],
    );
  });

  it('holds a member post that names neither list address (implicit destination)', () => {
    assert.deepEqual(
      [outcomeOf(hit('implicit-destination', 'from-member')), labelOf(hit('implicit-destination', 'from-member'))],
      ['hold', 'implicit-destination'],
    );
  });

  it('keeps every hit on the decision, not only the ones of the matching row', () => {
    const hits = hit('to-list', 'from-non-member');
    assert.deepEqual(decide(hits, plain).hits, hits);
  });

  it('holds a message that no row matches (fail closed), giving the label as the only reason', () => {
    assert.deepEqual(decide([], plain), {
      outcome: 'hold',
      label: 'no-rule-matched',
      hits: [],
      reasons: ['no-rule-matched'],
    });
  });

  it('does not relay on a member hit alone, without the list address', () => {
    assert.equal(outcomeOf(hit('from-member')), 'hold');
  });

  it('does not relay when contradictory hits say both member and stranger', () => {
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'from-stranger')), 'hold');
  });

  it('holds an unauthenticated post to the list, even from a member', () => {
    assert.deepEqual(labelOf(hit('to-list', 'from-member', 'unauthenticated')), 'unauthenticated');
  });

  it("opens a disclosure for a moderator's new post, and relays a reply in a thread", () => {
    assert.equal(
      outcomeOf(hit('to-list', 'from-moderator', 'from-non-member', 'new-thread'), plain),
      'open-disclosure',
    );
    assert.equal(
      outcomeOf(hit('to-list', 'from-moderator', 'from-member', 'new-thread', 'leak'), plain),
      'open-disclosure',
      "a moderator-member's new post whose subject starts with LEAK still opens a disclosure",
    );
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'in-thread')), 'thread-post');
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'in-thread', 'ack-keyword')), 'ack');
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'in-thread', 'leak')), 'leak-report');
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'names-thread', 'leak'), namingThread), 'leak-report');
    assert.equal(labelOf(hit('to-list', 'from-member', 'leak'), plain), 'leak-without-thread');
    assert.equal(
      labelOf(hit('to-list', 'from-stranger', 'from-non-member', 'in-thread', 'leak')),
      'leak-from-non-member',
    );
  });

  it("holds a member's new post (member-new-thread) when members may not open threads, but not its replies in a thread", () => {
    assert.deepEqual(
      labelOf(hit('to-list', 'from-member', 'new-thread', 'members-may-not-open'), plain),
      'member-new-thread',
    );
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'new-thread', 'members-may-not-open'), plain), 'hold');
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'in-thread', 'members-may-not-open')), 'thread-post');
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'in-thread', 'ack-keyword', 'members-may-not-open')), 'ack');
    assert.equal(
      outcomeOf(hit('to-list', 'from-moderator', 'from-member', 'new-thread', 'members-may-not-open'), plain),
      'open-disclosure',
    );
    assert.equal(outcomeOf(hit('to-list', 'from-member', 'new-thread'), plain), 'relay');
  });

  it('holds mail over the size limits first, whatever else hit, with the limit as the reason', () => {
    for (const rule of ['too-large', 'too-many-parts'] as const) {
      const d = decide(hit(rule, 'to-list', 'from-member', 'loop'), plain);
      assert.deepEqual(d.outcome === 'hold' && [d.label, d.reasons], [rule, [`${rule} reason`, 'loop reason']], rule);
    }
  });

  describe('the evidence a decision carries', () => {
    it('a thread post, an ACK and a leak report in a thread carry the thread the snapshot found', () => {
      for (const hits of [
        hit('to-list', 'from-member', 'in-thread'),
        hit('to-list', 'from-member', 'in-thread', 'ack-keyword'),
        hit('to-list', 'from-member', 'in-thread', 'leak'),
      ]) {
        const d = decide(hits, inThread);
        assert.ok(d.outcome === 'thread-post' || d.outcome === 'ack' || d.outcome === 'leak-report');
        assert.equal(d.thread, THREAD);
      }
    });

    it('a leak report that names a disclosure by number carries that disclosure', () => {
      const d = decide(hit('to-list', 'from-member', 'names-thread', 'leak'), namingThread);
      assert.deepEqual(d.outcome === 'leak-report' && [d.label, d.thread], ['leak-by-number', NAMED]);
    });

    it('holds instead of acting on a thread row when the snapshot has no thread (nothing acts on a guess)', () => {
      for (const hits of [
        hit('to-list', 'from-member', 'in-thread'),
        hit('to-list', 'from-member', 'in-thread', 'ack-keyword'),
        hit('to-list', 'from-member', 'names-thread', 'leak'),
      ]) {
        const d = decide(hits, plain);
        assert.deepEqual([d.outcome, d.label], ['hold', 'no-thread'], hits.map((h) => h.rule).join(','));
      }
    });

    it("a REMOVE from a moderator says so; a reply to the moderators' mail goes by its token, even when it also reads REMOVE", () => {
      const remove = decide(hit('to-requests', 'remove-keyword', 'from-moderator'), plain);
      assert.deepEqual(remove.outcome === 'moderator-command' && [remove.label, remove.command], ['remove', 'remove']);
      const reply = decide(hit('to-requests', 'reply-to-moderation', 'remove-keyword', 'from-moderator'), plain);
      assert.deepEqual(reply.outcome === 'moderator-command' && [reply.label, reply.command], [
        'moderator-reply',
        'token-reply',
      ]);
    });

    it('hold reasons leave out the facts (destination, sender, thread) and the audit-only from-non-member', () => {
      const hits = hit(
        'to-list',
        'to-requests',
        'from-member',
        'from-moderator',
        'new-thread',
        'in-thread',
        'from-non-member',
        'unauthenticated',
      );
      assert.deepEqual(holdReasons(hits, 'x'), ['unauthenticated reason']);
      assert.deepEqual(
        holdReasons(hit('to-list', 'from-non-member'), 'non-member'),
        ['non-member'],
        'the label when no hit says why',
      );
    });
  });

  describe('the table', () => {
    it('names every rule by a name the compiler knows, and has exactly one rule per name', () => {
      assert.deepEqual(RULES.map((r) => r.name).sort(), [...RULE_NAMES].sort());
    });

    it('names every rule in some row or sub-chain entry, except the audit-only ones, which no row names', () => {
      const named = new Set(INBOUND_CHAIN.flatMap((r) => [...r.when, ...(r.unless ?? [])]));
      for (const rule of RULES) assert.equal(named.has(rule.name), rule.use !== 'audit', `${rule.name} (${rule.use})`);
    });

    it('enters the list and requests sub-chains by their address rule, and shows each row with it in the flat view', () => {
      assert.deepEqual(
        INBOUND_CHAINS.map((p) => [p.name, p.entry]),
        [
          ['top', null],
          ['list', 'to-list'],
          ['requests', 'to-requests'],
          ['neither', null],
        ],
      );
      for (const row of INBOUND_CHAIN.filter((r) => r.when.includes('to-list') || r.when.includes('to-requests'))) {
        assert.ok(row.when[0] === 'to-list' || row.when[0] === 'to-requests', row.label);
      }
      assert.equal(
        INBOUND_CHAIN.length,
        INBOUND_CHAINS.reduce((n, p) => n + p.rows.length, 0),
      );
    });

    it('lets no row that acts on a post to the list match a stranger or an unauthenticated sender, whatever rows come before it', () => {
      const list = INBOUND_CHAINS.find((p) => p.name === 'list')!;
      const acting = list.rows.filter((r) => r.outcome !== 'hold' && r.outcome !== 'discard');
      assert.ok(acting.length >= 6);
      for (const row of acting) {
        const names = new Set<RuleName>(['to-list', ...row.when]);
        assert.ok(matches(row, names), `${row.label} matches its own rules`);
        for (const untrusted of ['from-stranger', 'unauthenticated'] as const) {
          assert.equal(matches(row, new Set([...names, untrusted])), false, `${row.label} with ${untrusted}`);
          // Alone, without the hold rows above it: still not matched.
          assert.equal(
            findRow(hit(...names, untrusted), [{ name: 'list', entry: 'to-list', rows: [row] }]),
            null,
            `${row.label} alone with ${untrusted}`,
          );
        }
      }
    });

    it('stays in a sub-chain once entered: a list post no list row matches is held, not decided by a later part', () => {
      assert.deepEqual(
        [
          outcomeOf(hit('to-list', 'implicit-destination'), plain),
          labelOf(hit('to-list', 'implicit-destination'), plain),
        ],
        ['hold', 'no-rule-matched'],
      );
    });

    it('takes the first row whose rules all hit and none of its unless, in a custom chain', () => {
      const chain: SubChain[] = [
        {
          name: 'top',
          entry: null,
          rows: [
            { when: ['loop', 'bounce'], outcome: 'discard', label: 'both' },
            { when: ['loop'], unless: ['duplicate'], outcome: 'relay', label: 'loop-only' },
          ],
        },
      ];
      assert.equal(decide(hit('loop'), plain, chain).label, 'loop-only');
      assert.equal(decide(hit('bounce', 'loop'), plain, chain).label, 'both');
      assert.equal(decide(hit('loop', 'duplicate'), plain, chain).label, 'no-rule-matched');
    });
  });

  it("routes OpenPGP keys by mail: a key confirmation by its token; a key from a member, after every token row; a stranger's key is a join request", () => {
    const plain = snapshotWith();
    const route = (...rules: RuleName[]) => decide(hit(...rules), plain).outcome;
    assert.equal(route('to-requests', 'reply-to-key-confirmation'), 'key-confirmation');
    assert.equal(route('to-requests', 'reply-to-key-confirmation', 'carries-key', 'from-member'), 'key-confirmation');
    assert.equal(route('to-requests', 'carries-key', 'from-member'), 'member-key');
    assert.equal(route('to-requests', 'carries-key', 'from-member', 'reply-to-our-mail'), 'member-key');
    assert.equal(route('to-requests', 'carries-key', 'from-member', 'reply-to-moderation'), 'moderator-command');
    assert.equal(route('to-requests', 'carries-key', 'from-member', 'unknown-token'), 'refuse');
    assert.equal(route('to-requests', 'carries-key', 'from-member', 'unsubscribe-keyword'), 'unsubscribe');
    assert.equal(route('to-requests', 'carries-key', 'from-stranger'), 'join-request');
    assert.equal(route('to-requests', 'carries-key'), 'join-request');
    // On the list address a key is nothing special: a member's post with a key is a post.
    assert.notEqual(route('to-list', 'carries-key', 'from-member'), 'member-key');
  });

  it('decides as the one flat table did before the sub-chains, for every set of hits classification can give', () => {
    const destination = fc.constantFrom<RuleName[]>(['to-list'], ['to-requests'], ['implicit-destination'], []);
    // encrypted-unreadable, carries-key and reply-to-key-confirmation came after the flat table
    // (issue 12): their rows are tested on their own (test/unit/openpgp/inbound.test.ts, below).
    const after = ['encrypted-unreadable', 'carries-key', 'reply-to-key-confirmation'];
    const others = RULE_NAMES.filter((r) => !['to-list', 'to-requests', 'implicit-destination', ...after].includes(r));
    const both = snapshotWith({ thread: THREAD, namedThread: NAMED });
    fc.assert(
      fc.property(destination, fc.subarray(others), (dest, rest) => {
        const hits = hit(...dest, ...rest);
        const names = new Set<string>(hits.map((h) => h.rule));
        const before = FLAT_TABLE_BEFORE_SUBCHAINS.find((r) => r.when.every((w) => names.has(w)));
        const d = decide(hits, both);
        assert.deepEqual(
          [d.outcome, d.label],
          before ? [before.outcome, before.label] : ['hold', 'no-rule-matched'],
          [...names].join(','),
        );
      }),
      { numRuns: 5000 },
    );
  });
});
