import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import { classify, RULES } from '../../../src/rules';
import type { Rule, RuleName, Snapshot } from '../../../src/rules/types';
import { LIST_ADDRESS } from '../../helpers/context';
import { snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';

const snap: Snapshot = snapshotWith({ senderIsMember: true, alreadyRelayed: false });

describe('rules/index (classify)', () => {
  it('gives every rule a distinct name and a description', () => {
    const names = RULES.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    for (const r of RULES) assert.ok(r.description.length > 0, `${r.name} has a description`);
  });

  it('keeps every hit with its reason, in the order of the rules', async () => {
    const msg = await parseMessage(
      makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS, headers: { 'X-Loop': LIST_ADDRESS } }),
    );
    const hits = classify(msg, snap);
    // An unauthenticated member's new post under the shipped configuration (snapshotWith's defaults).
    assert.deepEqual(
      hits.map((h) => h.rule),
      ['loop', 'to-list', 'from-member', 'unauthenticated', 'new-thread', 'members-may-not-open'],
    );
    for (const h of hits) assert.ok(h.reason.length > 0);
  });

  it('returns no hits when no rule hits', async () => {
    const never: Rule = { name: 'loop', use: 'reason', description: 'never hits', check: () => null };
    const msg = await parseMessage(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }));
    assert.deepEqual(classify(msg, snap, [never]), []);
  });

  it('runs every rule even after one has hit', async () => {
    const seen: string[] = [];
    const rule = (name: RuleName, hit: boolean): Rule => ({
      name,
      use: 'reason',
      description: name,
      check: () => {
        seen.push(name);
        return hit ? 'yes' : null;
      },
    });
    const msg = await parseMessage(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }));
    const hits = classify(msg, snap, [rule('loop', true), rule('bounce', false), rule('duplicate', true)]);
    assert.deepEqual(seen, ['loop', 'bounce', 'duplicate']);
    assert.deepEqual(hits, [
      { rule: 'loop', reason: 'yes' },
      { rule: 'duplicate', reason: 'yes' },
    ]);
  });

  it('does not change the message or the snapshot', async () => {
    const msg = await parseMessage(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS, subject: 'hello' }));
    const before = { subject: msg.subject, to: structuredClone(msg.to), headers: structuredClone([...msg.headers]) };
    const snapBefore = structuredClone(snap);
    classify(msg, snap);
    assert.deepEqual({ subject: msg.subject, to: msg.to, headers: [...msg.headers] }, before);
    assert.deepEqual(snap, snapBefore);
  });
});
