import assert from 'node:assert/strict';
import { decide } from '../../../src/chains/inbound';
import { parseMessage } from '../../../src/message/parse';
import { classify } from '../../../src/rules';
import { headerAnomaly } from '../../../src/rules/header-anomaly';
import type { RuleName, Snapshot } from '../../../src/rules/types';
import { disclosureThread } from '../../helpers/snapshot-parts';
import { LIST_ADDRESS, snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { crlf, lf } from '../../helpers/raw-mail';

const snap: Snapshot = snapshotWith({ senderIsMember: true, alreadyRelayed: false });
const OUTSIDER = 'outsider@evil.example';
const check = async (raw: Buffer): Promise<string | null> => headerAnomaly.check(await parseMessage(raw), snap);

describe('rules/header-anomaly', () => {
  it('hits a bare CR inside a header line, naming the line and the problem', async () => {
    const reason = await check(
      crlf('From: alice@member.example', `To: ${LIST_ADDRESS}`, `Subject: hi\rCc: ${OUTSIDER}`, '', 'body'),
    );
    assert.equal(
      reason,
      'header line 3: a carriage return inside a line (bare CR), which some readers take for a line end',
    );
  });

  it('hits a bare LF in a CRLF message, a NUL, a control character, a line that is no field and "Name :"', async () => {
    for (const bad of [
      `Subject: hi\nCc: ${OUTSIDER}`,
      `Subject: hi\0Cc: ${OUTSIDER}`,
      `Subject: hi\x0bCc: ${OUTSIDER}`,
      'no field here',
      `Cc : ${OUTSIDER}`,
    ]) {
      const reason = await check(crlf('From: alice@member.example', `To: ${LIST_ADDRESS}`, bad, '', 'body'));
      assert.match(reason ?? '', /^header line 3: /, JSON.stringify(bad));
    }
  });

  it('joins several anomalies into one reason', async () => {
    const reason = await check(crlf('From: alice@member.example', 'Subject: a\rb', 'X-A: c\0d', '', 'body'));
    assert.equal(
      reason,
      'header line 2: a carriage return inside a line (bare CR), which some readers take for a line end; header line 3: a NUL byte',
    );
  });

  it('misses clean CRLF and LF messages, and one that starts with an mbox "From " line', async () => {
    assert.equal(
      await check(
        makeMessage({
          from: 'Jörg <alice@member.example>',
          to: LIST_ADDRESS,
          subject: 'Grüße',
          cc: ['bob@member.example'],
        }),
      ),
      null,
    );
    assert.equal(
      await check(lf('From: alice@member.example', `To: ${LIST_ADDRESS}`, 'Subject: s', '\tfolded', '', 'body')),
      null,
    );
    assert.equal(
      await check(
        crlf(
          'From alice@member.example Tue Mar 10 09:00:00 2026',
          'From: alice@member.example',
          `To: ${LIST_ADDRESS}`,
          '',
          'body',
        ),
      ),
      null,
    );
  });

  it('is classified with the other rules, and the chain holds the post as malformed-header whoever sent it', async () => {
    const msg = await parseMessage(
      crlf('From: alice@member.example', `To: ${LIST_ADDRESS}`, `Subject: hi\rCc: ${OUTSIDER}`, '', 'body'),
    );
    const hits = classify(msg, snap);
    assert.ok(hits.some((h) => h.rule === 'header-anomaly'));
    assert.deepEqual([decide(hits, snap).outcome, decide(hits, snap).label], ['hold', 'malformed-header']);
  });

  it('comes after the loop, bounce, auto-reply and duplicate rows, and before every row that acts', () => {
    const hit = (...rules: RuleName[]) => rules.map((rule) => ({ rule, reason: 'x' }));
    const inThread = snapshotWith({ senderIsMember: true, thread: disclosureThread(1) });
    assert.equal(decide(hit('duplicate', 'header-anomaly', 'to-list', 'from-member'), inThread).label, 'duplicate');
    assert.equal(decide(hit('loop', 'header-anomaly'), inThread).label, 'loop');
    for (const acting of [
      ['to-list', 'from-member'],
      ['to-list', 'in-thread', 'from-member'],
      ['to-list', 'from-moderator', 'new-thread'],
      ['to-list', 'from-member', 'leak', 'in-thread'],
      ['to-requests', 'reply-to-moderation'],
      ['to-requests'],
      ['to-requests', 'remove-keyword', 'from-moderator'],
      ['to-requests', 'unsubscribe-keyword'],
    ] as RuleName[][]) {
      assert.notEqual(
        decide(hit(...acting), inThread).label,
        'malformed-header',
        'the control: without the anomaly the row acts',
      );
      const held = decide(hit('header-anomaly', ...acting), inThread);
      assert.deepEqual([held.outcome, held.label], ['hold', 'malformed-header'], acting.join(','));
    }
  });
});
