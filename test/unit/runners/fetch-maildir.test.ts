import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../../../src/context';
import { ensureMaildir, MaildirFetcher, maildirFolders } from '../../../src/runners/fetch-maildir';
import { processRaw } from '../../../src/runners/pipeline';
import { findInbound } from '../../../src/store/inbound';
import { addMembers, backboneConfig, createTestContext, LIST_ADDRESS } from '../../helpers/context';
import { makeMessage } from '../../helpers/mail-factory';
import { authenticatedMail } from '../../helpers/membership';
import { crlf } from '../../helpers/raw-mail';

const MEMBERS = ['alice@member.example', 'bob@member.example'];
const count = (ctx: Context, table: string): number =>
  ctx.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
const ls = (dir: string): string[] => fs.readdirSync(dir).sort();

describe('runners/fetch-maildir (MaildirFetcher.drain)', () => {
  let root: string;
  let ctx: Context;
  let folders: ReturnType<typeof maildirFolders>;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-maildir-'));
    ensureMaildir(root);
    folders = maildirFolders(root);
    // Members' posts are relayed here, so that a handled message has effects: see backboneConfig().
    ctx = createTestContext({ config: backboneConfig() });
    addMembers(ctx, ...MEMBERS);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const deliver = (name: string, raw: Buffer): void => fs.writeFileSync(path.join(folders.newDir, name), raw);

  it('makes the Maildir folders, the quarantine sub-folder included', () => {
    for (const d of ['new', 'cur', 'tmp', '.Quarantine/new', '.Quarantine/cur', '.Quarantine/tmp'])
      assert.ok(fs.statSync(path.join(root, d)).isDirectory(), d);
  });

  it('handles the files in new/ in name order, whatever order they were written in', async () => {
    // Two copies of one post: the one handled first is relayed, the second is dropped as a duplicate.
    deliver(
      '1700000002.M2P1.host',
      authenticatedMail({
        from: 'alice@member.example',
        to: LIST_ADDRESS,
        messageId: '<same@member.example>',
        body: 'second',
      }),
    );
    deliver(
      '1700000001.M1P1.host',
      authenticatedMail({
        from: 'alice@member.example',
        to: LIST_ADDRESS,
        messageId: '<same@member.example>',
        body: 'first',
      }),
    );
    assert.equal(await new MaildirFetcher(ctx, root).drain(), 2);
    const first = findInbound(ctx.db, 'maildir:1700000001.M1P1.host')!;
    const second = findInbound(ctx.db, 'maildir:1700000002.M2P1.host')!;
    assert.ok(first.id < second.id);
    assert.deepEqual([first.outcome, second.outcome], ['relay', 'discard']);
  });

  it('moves a handled message to cur/ as seen, after its effects are committed', async () => {
    deliver('1700000001.M1P1.host', makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS }));
    await new MaildirFetcher(ctx, root).drain();
    assert.deepEqual(ls(folders.newDir), []);
    assert.deepEqual(ls(folders.curDir), ['1700000001.M1P1.host:2,S']);
    assert.equal(findInbound(ctx.db, 'maildir:1700000001.M1P1.host')?.status, 'processed');
    assert.equal(count(ctx, 'outbox'), MEMBERS.length);
  });

  it('moves a held or dropped message to cur/ too: it was handled', async () => {
    deliver('a', makeMessage({ from: 'mallory@evil.example', to: LIST_ADDRESS }));
    deliver('b', makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS, headers: { 'X-Loop': LIST_ADDRESS } }));
    await new MaildirFetcher(ctx, root).drain();
    assert.deepEqual(ls(folders.curDir), ['a:2,S', 'b:2,S']);
    assert.deepEqual(ls(folders.quarantineCur), []);
  });

  it('moves a message that cannot be handled to .Quarantine/cur/, keeping its bytes', async () => {
    const raw = crlf(`To: ${LIST_ADDRESS}`, 'Subject: no sender', '', 'body');
    deliver('1700000003.M3P1.host', raw);
    await new MaildirFetcher(ctx, root).drain();
    assert.deepEqual(ls(folders.newDir), []);
    assert.deepEqual(ls(folders.curDir), []);
    assert.deepEqual(ls(folders.quarantineCur), ['1700000003.M3P1.host:2,S']);
    assert.deepEqual(fs.readFileSync(path.join(folders.quarantineCur, '1700000003.M3P1.host:2,S')), raw);
    const row = findInbound(ctx.db, 'maildir:1700000003.M3P1.host')!;
    assert.deepEqual([row.status, row.error_code], ['quarantined', 'MESSAGE_NO_FROM']);
  });

  it('moves a file already recorded as processed but still in new/ (a crash after the commit) without applying it again', async () => {
    const raw = makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS });
    await processRaw(ctx, 'maildir:1700000004.M4P1.host', raw);
    const copiesBefore = count(ctx, 'outbox');
    const auditBefore = count(ctx, 'audit');
    deliver('1700000004.M4P1.host', raw);

    assert.equal(await new MaildirFetcher(ctx, root).drain(), 1);
    assert.deepEqual(ls(folders.newDir), []);
    assert.deepEqual(ls(folders.curDir), ['1700000004.M4P1.host:2,S']);
    assert.equal(count(ctx, 'outbox'), copiesBefore);
    assert.equal(count(ctx, 'audit'), auditBefore);
    assert.equal(findInbound(ctx.db, 'maildir:1700000004.M4P1.host')?.attempts, 1);
  });

  it('moves a file already recorded as quarantined but still in new/ to the quarantine', async () => {
    const raw = crlf(`To: ${LIST_ADDRESS}`, '', 'no sender');
    await processRaw(ctx, 'maildir:q1', raw);
    deliver('q1', raw);
    await new MaildirFetcher(ctx, root).drain();
    assert.deepEqual(ls(folders.quarantineCur), ['q1:2,S']);
    assert.equal(count(ctx, 'audit'), 1);
  });

  it('identifies a copy by its file name without Maildir flags', async () => {
    const raw = makeMessage({ from: 'alice@member.example', to: LIST_ADDRESS });
    await processRaw(ctx, 'maildir:1700000005.M5P1.host', raw);
    deliver('1700000005.M5P1.host:2,', raw);
    await new MaildirFetcher(ctx, root).drain();
    assert.deepEqual(ls(folders.curDir), ['1700000005.M5P1.host:2,S']);
    assert.equal(count(ctx, 'inbound'), 1);
    assert.equal(count(ctx, 'outbox'), MEMBERS.length);
  });

  it('leaves dot files in new/ alone', async () => {
    deliver('.half-written', Buffer.from('From: alice@member.example\r\n'));
    assert.equal(await new MaildirFetcher(ctx, root).drain(), 0);
    assert.deepEqual(fs.readdirSync(folders.newDir), ['.half-written']);
    assert.equal(count(ctx, 'inbound'), 0);
  });

  it('handles nothing and changes nothing when new/ is empty', async () => {
    assert.equal(await new MaildirFetcher(ctx, root).drain(), 0);
    assert.equal(count(ctx, 'inbound'), 0);
  });
});
