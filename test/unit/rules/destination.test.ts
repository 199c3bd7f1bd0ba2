import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import { implicitDestination, toList, toRequests } from '../../../src/rules/destination';
import type { Snapshot } from '../../../src/rules/types';
import { LIST_ADDRESS, REQUESTS_ADDRESS } from '../../helpers/context';
import { snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { crlf } from '../../helpers/raw-mail';

const snap: Snapshot = snapshotWith({ senderIsMember: true, alreadyRelayed: false });
const from = 'alice@member.example';

describe('rules/destination', () => {
  describe('to-list', () => {
    it('hits a message with the list address in To', async () => {
      const msg = await parseMessage(makeMessage({ from, to: LIST_ADDRESS }));
      assert.equal(toList.check(msg, snap), `addressed to ${LIST_ADDRESS}`);
    });

    it('hits a message with the list address only in Cc', async () => {
      const msg = await parseMessage(
        makeMessage({ from, to: 'bob@elsewhere.example', cc: [`"Security list" <${LIST_ADDRESS}>`] }),
      );
      assert.notEqual(toList.check(msg, snap), null);
    });

    it('hits the list address written in odd case', async () => {
      const msg = await parseMessage(makeMessage({ from, to: 'SECURITY@Lists.EXAMPLE.org' }));
      assert.notEqual(toList.check(msg, snap), null);
    });

    it('hits when the configured list address is in odd case', async () => {
      const msg = await parseMessage(makeMessage({ from, to: LIST_ADDRESS }));
      assert.notEqual(toList.check(msg, { ...snap, listAddress: 'Security@LISTS.example.org' }), null);
    });

    it('hits the list address inside a group in To', async () => {
      const msg = await parseMessage(
        crlf(`From: ${from}`, `To: lists: ${LIST_ADDRESS}, other@elsewhere.example;`, '', 'body'),
      );
      assert.notEqual(toList.check(msg, snap), null);
    });

    it('misses a message addressed only to someone else', async () => {
      const msg = await parseMessage(makeMessage({ from, to: 'bob@elsewhere.example' }));
      assert.equal(toList.check(msg, snap), null);
    });

    it('misses the list address that only appears as a display name in To', async () => {
      const msg = await parseMessage(makeMessage({ from, to: `"${LIST_ADDRESS}" <attacker@evil.example>` }));
      assert.equal(toList.check(msg, snap), null);
    });

    it('misses the list address that only appears in a forged Resent-To or Delivered-To', async () => {
      const msg = await parseMessage(
        makeMessage({
          from,
          to: 'bob@elsewhere.example',
          headers: { 'Resent-To': LIST_ADDRESS, 'Delivered-To': LIST_ADDRESS },
        }),
      );
      assert.equal(toList.check(msg, snap), null);
    });

    it('misses a look-alike address that contains the list address', async () => {
      const msg = await parseMessage(makeMessage({ from, to: `product-${LIST_ADDRESS}` }));
      assert.equal(toList.check(msg, snap), null);
    });
  });

  describe('to-requests', () => {
    it('hits a message to the requests address alone', async () => {
      const msg = await parseMessage(makeMessage({ from, to: REQUESTS_ADDRESS }));
      assert.equal(toRequests.check(msg, snap), `addressed to ${REQUESTS_ADDRESS}`);
    });

    it('hits the requests address in odd case in Cc', async () => {
      const msg = await parseMessage(
        makeMessage({ from, to: 'bob@elsewhere.example', cc: [REQUESTS_ADDRESS.toUpperCase()] }),
      );
      assert.notEqual(toRequests.check(msg, snap), null);
    });

    it('misses a message to both the requests and the list address: it is a post', async () => {
      const msg = await parseMessage(makeMessage({ from, to: [REQUESTS_ADDRESS, LIST_ADDRESS] }));
      assert.equal(toRequests.check(msg, snap), null);
    });

    it('misses a message to the list address only', async () => {
      const msg = await parseMessage(makeMessage({ from, to: LIST_ADDRESS }));
      assert.equal(toRequests.check(msg, snap), null);
    });
  });

  describe('implicit-destination', () => {
    it('hits a message that names neither list address (Bcc or an alias)', async () => {
      const msg = await parseMessage(makeMessage({ from, to: 'bob@elsewhere.example' }));
      assert.equal(
        implicitDestination.check(msg, snap),
        'neither the list address nor the requests address is in To or Cc',
      );
    });

    it('hits a message with no To and no Cc at all', async () => {
      const msg = await parseMessage(makeMessage({ from }));
      assert.notEqual(implicitDestination.check(msg, snap), null);
    });

    it('hits a message whose To header holds no valid address', async () => {
      const msg = await parseMessage(crlf(`From: ${from}`, 'To: undisclosed-recipients:;', '', 'body'));
      assert.notEqual(implicitDestination.check(msg, snap), null);
    });

    it('misses a message to the list address', async () => {
      const msg = await parseMessage(makeMessage({ from, to: LIST_ADDRESS }));
      assert.equal(implicitDestination.check(msg, snap), null);
    });

    it('misses a message to the requests address', async () => {
      const msg = await parseMessage(makeMessage({ from, to: REQUESTS_ADDRESS }));
      assert.equal(implicitDestination.check(msg, snap), null);
    });
  });
});
