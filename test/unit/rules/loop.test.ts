import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/message/parse';
import { loop } from '../../../src/rules/loop';
import type { Snapshot } from '../../../src/rules/types';
import { LIST_ADDRESS } from '../../helpers/context';
import { snapshotWith } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { crlf } from '../../helpers/raw-mail';

const snap: Snapshot = snapshotWith({ senderIsMember: true, alreadyRelayed: false });

async function withXLoop(...values: string[]) {
  const head = values.map((v) => `X-Loop: ${v}`);
  return parseMessage(crlf('From: alice@member.example', `To: ${LIST_ADDRESS}`, 'Subject: hi', ...head, '', 'body'));
}

describe('rules/loop', () => {
  it('hits a message that carries the X-Loop this list puts on everything it sends', async () => {
    const reason = loop.check(await withXLoop(LIST_ADDRESS), snap);
    assert.equal(reason, `X-Loop names ${LIST_ADDRESS}`);
  });

  it('misses a message without any X-Loop header', async () => {
    const msg = await parseMessage(makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }));
    assert.equal(loop.check(msg, snap), null);
  });

  it('misses a message whose X-Loop names an unrelated list', async () => {
    assert.equal(loop.check(await withXLoop('oss-announce@other.example'), snap), null);
  });

  it('hits when our X-Loop is one of several X-Loop headers', async () => {
    assert.notEqual(loop.check(await withXLoop('oss-announce@other.example', LIST_ADDRESS), snap), null);
  });

  it('hits an X-Loop that names the list address in odd case', async () => {
    assert.notEqual(loop.check(await withXLoop('SECURITY@Lists.Example.ORG'), snap), null);
  });

  it('hits an X-Loop that names the list address in angle brackets', async () => {
    assert.notEqual(loop.check(await withXLoop(`<${LIST_ADDRESS}>`), snap), null);
  });

  it('hits an X-Loop that names the list address followed by a comment', async () => {
    assert.notEqual(loop.check(await withXLoop(`${LIST_ADDRESS} (Example Security)`), snap), null);
  });

  it('misses an X-Loop naming another list whose address merely ends with ours', async () => {
    // product-security@lists.example.org is another list; its relayed posts are not our loop.
    assert.equal(loop.check(await withXLoop(`product-${LIST_ADDRESS}`), snap), null);
  });

  it('misses an X-Loop naming a look-alike domain that starts with our address', async () => {
    assert.equal(loop.check(await withXLoop(`${LIST_ADDRESS}.evil.example`), snap), null);
  });

  it('misses a forged Loop-ish header that is not X-Loop', async () => {
    const msg = await parseMessage(
      crlf('From: alice@member.example', `To: ${LIST_ADDRESS}`, `X-Loop-Detected: ${LIST_ADDRESS}`, '', 'body'),
    );
    assert.equal(loop.check(msg, snap), null);
  });
});
