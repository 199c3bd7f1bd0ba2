/**
 * The CLI's actor (admin/moderator-action cliActor): the person under sudo and the Unix user, the
 * same for every command; and members remove, which goes through moderatorAction like REMOVE by
 * mail and the console.
 */
import assert from 'node:assert/strict';
import { runInProcess } from '../../helpers/cli-in-process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerMembers } from '../../../src/admin/members';
import { cliActor } from '../../../src/admin/moderator-action';
import type { Context } from '../../../src/context';
import { AppError } from '../../../src/errors';
import { loadMigrations, migrate, openDb } from '../../../src/store/db';
import { Disclosures, MEMBERS } from '../../helpers/disclosures';
import { MIGRATIONS_DIR } from '../../helpers/context';

const UNIX_USER = os.userInfo().username;

describe('admin: the CLI actor', () => {
  it('is cli:<unix user>, or cli:<SUDO_USER> (as <unix user>) under sudo', () => {
    assert.deepEqual(cliActor({}), { name: `cli:${UNIX_USER}`, via: 'cli' });
    assert.deepEqual(cliActor({ SUDO_USER: 'alice' }), { name: `cli:alice (as ${UNIX_USER})`, via: 'cli' });
    // sudo to oneself, or an empty SUDO_USER, says nothing more.
    assert.equal(cliActor({ SUDO_USER: UNIX_USER }).name, `cli:${UNIX_USER}`);
    assert.equal(cliActor({ SUDO_USER: '' }).name, `cli:${UNIX_USER}`);
  });

  describe('members add and remove', () => {
    let dir: string;
    let file: string;
    let h: Disclosures;
    let savedSudoUser: string | undefined;
    const realWrite = process.stdout.write;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-members-'));
      file = path.join(dir, 'list.sqlite');
      const db = openDb(file);
      migrate(db, loadMigrations(MIGRATIONS_DIR));
      h = new Disclosures('', undefined, { db });
      savedSudoUser = process.env.SUDO_USER;
      process.env.SUDO_USER = 'alice';
    });

    afterEach(() => {
      process.stdout.write = realWrite;
      if (savedSudoUser === undefined) delete process.env.SUDO_USER;
      else process.env.SUDO_USER = savedSudoUser;
      h.ctx.db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function run(...args: string[]): Promise<string> {
      const open = (): Context => ({
        ...h.ctx,
        config: { ...h.ctx.config, outbound: { ...h.ctx.config.outbound, directory: path.join(dir, 'outbox') } },
        db: openDb(file),
      });
      return runInProcess((program) => registerMembers(program, open), args, { quietErrors: true });
    }

    it('audits both as the CLI actor; remove is moderatorAction (via cli, the same notices), and a second remove is MEMBER_NOT_FOUND', async () => {
      const ACTOR = `cli:alice (as ${UNIX_USER})`;
      await run('members', 'add', 'security@new.example', '--org', 'New');
      const alpha = MEMBERS[0]!.address;
      const mark = h.mark();
      assert.equal(await run('members', 'remove', alpha, '--reason', 'left the project'), `removed: ${alpha}\n`);
      const rows = h.audit().filter((a) => a.action === 'member.add' || a.action === 'member.remove');
      assert.deepEqual(
        rows.map((r) => [r.action, r.actor]),
        [
          ['member.add', ACTOR],
          ['member.remove', ACTOR],
        ],
      );
      // moderatorAction's audit detail: the reason and via.
      assert.deepEqual(JSON.parse(rows[1]!.detail!), { reason: 'left the project', via: 'cli' });
      assert.deepEqual(
        (await h.sent(mark)).map((m) => m.purpose),
        ['member.notice.removed', 'moderator.notice.member-removed'],
      );
      assert.equal(h.member(alpha)!.status, 'removed');
      await assert.rejects(
        run('members', 'remove', alpha),
        (e: AppError) => e.code === 'MEMBER_NOT_FOUND' && /not an active member/.test(e.message),
      );
      await assert.rejects(
        run('members', 'remove', 'nobody@x.example'),
        (e: AppError) => e.code === 'MEMBER_NOT_FOUND',
      );
    });
  });
});
