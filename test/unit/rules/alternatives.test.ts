import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import { alternativesDisagree } from '../../../src/rules/alternatives';
import { REQUESTS_ADDRESS, snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';

const reason = 'the text/plain part reads APPROVE, the HTML part reads nothing';
const msg = () =>
  parseMessage(
    makeMessage({ from: 'security@example.org', to: REQUESTS_ADDRESS, subject: 'Re: request 12', body: 'APPROVE\n' }),
  );

describe('rules/alternatives', () => {
  it('hits with the reason the keyword reader gave', async () => {
    assert.equal(alternativesDisagree.check(await msg(), snapshotWith({ keywordDisagreement: reason })), reason);
  });

  it('misses when both versions agree (no disagreement recorded), keyword or not', async () => {
    assert.equal(alternativesDisagree.check(await msg(), snapshotWith()), null);
    assert.equal(
      alternativesDisagree.check(await msg(), snapshotWith({ keyword: { keyword: 'APPROVE', argument: null } })),
      null,
    );
  });

  it('hits even when a keyword was recorded beside the disagreement: the disagreement is never outvoted', async () => {
    const snap = snapshotWith({ keyword: { keyword: 'APPROVE', argument: null }, keywordDisagreement: reason });
    assert.equal(alternativesDisagree.check(await msg(), snap), reason);
  });
});
