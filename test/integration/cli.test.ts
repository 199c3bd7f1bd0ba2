/**
 * The command line as an operator or an MTA uses it: the embedded default, ingest, errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeMessage } from '../helpers/mail-factory';
import { waitUntil } from '../helpers/wait';
import { CLI, runCli } from './helpers/daemon';
import { PACKAGE_ROOT } from '../../src/paths';
import { processRuns } from '../../src/pid';

const LIST = 'example-early-disclosure@lists.example.org';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-list-cli-'));
}

function writeYaml(dir: string, body: string): string {
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, body);
  return file;
}

const DIRECTORY_CONFIG = (dir: string) => `list:
  name: CLI Test List
  address: ${LIST}
  requestsAddress: example-early-disclosure-requests@lists.example.org
  moderators: [mods@example.org]
dataDir: ${dir}/data
inbound: { maildir: ${dir}/inbox }
outbound: { directory: ${dir}/outbox }
# These tests are about the command line; sender authentication has tests of its own.
security: { requireAuthenticatedPosts: false, verifyDkim: false }
policy: { membersMayOpenThreads: true }
log: { format: json }
`;

describe('integration: command line', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs on the embedded default with no config at all, says so first, and relays from ./data', async () => {
    const env = { ...process.env, EMBARGO_LIST_CONFIG: '' };
    assert.equal(
      await new Promise<number | null>((resolve) => {
        spawn(process.execPath, [CLI, 'members', 'add', 'psirt@alpha.example', '--org', 'Alpha'], {
          cwd: dir,
          env,
          stdio: 'ignore',
        }).on('exit', resolve);
      }),
      0,
    );
    const child = spawn(process.execPath, [CLI, 'run'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    await waitUntil(() => /STARTED/.test(stderr), { what: 'the daemon to start' });
    const first = JSON.parse(stderr.split('\n')[0]!);
    assert.match(first.msg, /^CONFIG embedded default/);
    fs.writeFileSync(
      path.join(dir, 'data/mail/inbox/new/1.eml'),
      makeMessage({ from: 'psirt@alpha.example', to: LIST, subject: 'trial' }),
    );
    await waitUntil(
      () =>
        fs.existsSync(path.join(dir, 'data/mail/outbox')) &&
        fs.readdirSync(path.join(dir, 'data/mail/outbox')).some((f) => f.endsWith('.eml')),
      { what: 'an .eml in the outbox' },
    );
    const [file] = fs.readdirSync(path.join(dir, 'data/mail/outbox')).filter((f) => f.endsWith('.eml'));
    const eml = fs.readFileSync(path.join(dir, 'data/mail/outbox', file!), 'utf8');
    assert.match(eml, /^X-Envelope-To: <psirt@alpha\.example>/m);
    assert.match(eml, /^List-Id: /m);
    child.kill('SIGTERM');
    assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 0);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'data/mail/inbox/cur')), ['1.eml:2,S']);
  });

  it('ingest applies a message piped twice only once (as an MTA retrying would)', async () => {
    const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
    assert.equal(
      (await runCli(['--config', config, 'members', 'add', 'psirt@alpha.example', '--org', 'Alpha'])).code,
      0,
    );
    assert.equal((await runCli(['--config', config, 'members', 'add', 'sec@beta.example', '--org', 'Beta'])).code, 0);
    const raw = makeMessage({ from: 'psirt@alpha.example', to: LIST, subject: 'piped' });
    const first = await runCli(['--config', config, 'ingest', '-'], { input: raw });
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(['--config', config, 'ingest', '-'], { input: raw });
    assert.equal(second.code, 0, second.stderr);
    const emls = fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'));
    assert.equal(emls.length, 2, 'one copy per member, once');
    const db = new Database(path.join(dir, 'data', 'embargo-list.sqlite'), { readonly: true });
    try {
      assert.equal(db.prepare('SELECT count(*) FROM inbound').pluck().get(), 1);
      assert.equal(db.prepare("SELECT count(*) FROM audit WHERE action = 'post.relay'").pluck().get(), 1);
    } finally {
      db.close();
    }
  });

  it('ingest reads message files given as arguments', async () => {
    const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
    const file = path.join(dir, 'stranger.eml');
    fs.writeFileSync(file, makeMessage({ from: 'who@stranger.example', to: LIST, subject: 'hi' }));
    const r = await runCli(['--config', config, 'ingest', file]);
    assert.equal(r.code, 0, r.stderr);
    const emls = fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'));
    assert.equal(emls.length, 1);
    assert.match(fs.readFileSync(path.join(dir, 'outbox', emls[0]!), 'utf8'), /^X-Envelope-To: <mods@example\.org>/m);
  });

  it('stops on a bad config with one line that names the key, and exit code 78', async () => {
    const config = writeYaml(
      dir,
      DIRECTORY_CONFIG(dir).replace(
        'inbound: { maildir',
        'inbound: { imap: { host: x, port: "143", user: u }, maildir',
      ),
    );
    const r = await runCli(['--config', config, 'check-config']);
    assert.equal(r.code, 78);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^embargo-list: CONFIG_INVALID .*inbound\.imap\.port: expected a port number/);
  });

  it('names a missing key and a misspelt key', async () => {
    const missing = await runCli(
      ['--config', writeYaml(dir, DIRECTORY_CONFIG(dir).replace(/^dataDir: .*$/m, ''))].concat(['check-config']),
    );
    assert.equal(missing.code, 78);
    assert.match(missing.stderr, /dataDir: missing; expected string/);
    const typo = await runCli([
      '--config',
      writeYaml(dir, DIRECTORY_CONFIG(dir).replace('moderators:', 'moderator:')),
      'check-config',
    ]);
    assert.equal(typo.code, 78);
    assert.match(typo.stderr, /list\.moderator: unknown key/);
  });

  it('ingest exits 75 (try again later) when it cannot handle the mail, so that the MTA keeps it queued', async () => {
    const config = writeYaml(dir, DIRECTORY_CONFIG(dir).replace('moderators:', 'moderator:'));
    const r = await runCli(['--config', config, 'ingest', '-'], {
      input: makeMessage({ from: 'a@b.example', to: LIST }),
    });
    assert.equal(r.code, 75);
    assert.match(r.stderr, /^embargo-list: INGEST_TEMPFAIL .*CONFIG_INVALID .*list\.moderator: unknown key/);
  });

  it('check-config prints the configuration with secrets redacted', async () => {
    const config = writeYaml(
      dir,
      DIRECTORY_CONFIG(dir).replace(
        'outbound: { directory: ' + dir + '/outbox }',
        'outbound: { smtp: { host: 127.0.0.1, port: 25, user: u, password: hunter2 } }',
      ),
    );
    const r = await runCli(['--config', config, 'check-config'], { env: { EMBARGO_LIST_SMTP_PASSWORD: 'from-env' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /password: "?\[redacted\]"?/);
    assert.doesNotMatch(r.stdout, /hunter2|from-env/);
  });

  it('refuses a database written by a newer version', async () => {
    const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
    assert.equal((await runCli(['--config', config, 'migrate'])).code, 0);
    const db = new Database(path.join(dir, 'data', 'embargo-list.sqlite'));
    db.pragma('user_version = 999');
    db.close();
    const r = await runCli(['--config', config, 'members', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^embargo-list: DB_TOO_NEW .*newer version/);
  });

  it('members add, list, remove: with errors as one line and an audit trail', async () => {
    const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
    assert.equal(
      (await runCli(['--config', config, 'members', 'add', 'Security@Beta.example', '--org', 'Beta'])).code,
      0,
    );
    const listed = await runCli(['--config', config, 'members', 'list', '--json']);
    assert.deepEqual(
      JSON.parse(listed.stdout).map((m: { address: string; organization: string }) => [m.address, m.organization]),
      [['security@beta.example', 'Beta']],
    );
    const bad = await runCli(['--config', config, 'members', 'add', 'not-an-address', '--org', 'X']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^embargo-list: MEMBER_INVALID_ADDRESS /);
    assert.equal((await runCli(['--config', config, 'members', 'remove', 'security@beta.example'])).code, 0);
    const again = await runCli(['--config', config, 'members', 'remove', 'security@beta.example']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /MEMBER_NOT_FOUND/);
    assert.match((await runCli(['--config', config, 'members', 'list'])).stdout, /^0 members$/m);
    const db = new Database(path.join(dir, 'data', 'embargo-list.sqlite'), { readonly: true });
    try {
      assert.deepEqual(db.prepare('SELECT action FROM audit ORDER BY id').pluck().all(), [
        'member.add',
        'member.remove',
      ]);
    } finally {
      db.close();
    }
  });

  describe('the first hour (issue 11)', () => {
    it('--version prints the version of package.json', async () => {
      const { version } = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
        version: string;
      };
      for (const flag of ['--version', '-V']) {
        const r = await runCli([flag]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `${version}\n`);
      }
    });

    it('ingest of a file that does not exist exits 66 (no input), names the file, and applies none of the others', async () => {
      const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
      const good = path.join(dir, 'good.eml');
      fs.writeFileSync(good, makeMessage({ from: 'who@stranger.example', to: LIST, subject: 'hi' }));
      const r = await runCli(['--config', config, 'ingest', good, path.join(dir, 'missing.eml')]);
      assert.equal(r.code, 66, r.stderr);
      assert.equal(
        r.stderr.trim().split('\n').pop(),
        `embargo-list: INPUT_NOT_FOUND no such message file: ${path.join(dir, 'missing.eml')}`,
      );
      const db = new Database(path.join(dir, 'data', 'embargo-list.sqlite'), { readonly: true });
      try {
        assert.equal(db.prepare('SELECT count(*) FROM inbound').pluck().get(), 0);
      } finally {
        db.close();
      }
    });

    it('a dataDir that cannot be written is a configuration error (78) naming it, for run, a command and check-config', async () => {
      fs.writeFileSync(path.join(dir, 'a-file'), 'not a directory\n');
      const cases = [path.join(dir, 'a-file', 'data')];
      // Root writes anywhere: a read-only directory is tried only as another user.
      if (process.getuid?.() !== 0) {
        fs.mkdirSync(path.join(dir, 'ro'), { mode: 0o500 });
        cases.push(path.join(dir, 'ro'));
      }
      for (const dataDir of cases) {
        const config = writeYaml(dir, DIRECTORY_CONFIG(dir).replace(/^dataDir: .*$/m, `dataDir: ${dataDir}`));
        for (const args of [['run'], ['members', 'list'], ['check-config']]) {
          const r = await runCli(['--config', config, ...args]);
          assert.equal(r.code, 78, `${args.join(' ')}: ${r.stderr}`);
          assert.match(r.stderr, /^embargo-list: DATA_DIR_UNWRITABLE dataDir \S+ /m, args.join(' '));
          assert.ok(r.stderr.includes(dataDir), `${args.join(' ')} names ${dataDir}: ${r.stderr}`);
        }
      }
    });

    it('a database file that is not a database: DB_UNREADABLE with its path, exit 78, also from check-config', async () => {
      const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
      const file = path.join(dir, 'data', 'embargo-list.sqlite');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'this is not an SQLite file, but long enough to have a header of one.\n'.repeat(20));
      for (const args of [['members', 'list'], ['run'], ['check-config']]) {
        const r = await runCli(['--config', config, ...args]);
        assert.equal(r.code, 78, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^embargo-list: DB_UNREADABLE the database \S+ cannot be/m);
        assert.ok(r.stderr.includes(file), r.stderr);
      }
    });

    it('members add refuses an active member of another organization; members update changes it, audited', async () => {
      const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
      const cli = (...args: string[]) => runCli(['--config', config, 'members', ...args]);
      assert.equal((await cli('add', 'psirt@alpha.example', '--org', 'Alpha')).code, 0);
      const same = await cli('add', 'psirt@alpha.example', '--org', 'Alpha');
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, /^already a member: psirt@alpha\.example \(Alpha\)$/m);
      const other = await cli('add', 'psirt@alpha.example', '--org', 'Alpha Two');
      assert.equal(other.code, 1);
      assert.equal(
        other.stderr,
        'embargo-list: MEMBER_EXISTS psirt@alpha.example is already a member, of "Alpha"; to change its organization: embargo-list members update psirt@alpha.example --org "Alpha Two"\n',
      );
      const updated = await cli('update', 'psirt@alpha.example', '--org', 'Alpha Two');
      assert.equal(updated.code, 0, updated.stderr);
      assert.match(updated.stdout, /^organization changed: psirt@alpha\.example \(Alpha -> Alpha Two\)$/m);
      const missing = await cli('update', 'nobody@alpha.example', '--org', 'X');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^embargo-list: MEMBER_NOT_FOUND nobody@alpha\.example is not a member/);
      const listed = JSON.parse((await cli('list', '--json')).stdout) as { organization: string }[];
      assert.deepEqual(
        listed.map((m) => m.organization),
        ['Alpha Two'],
      );
      const db = new Database(path.join(dir, 'data', 'embargo-list.sqlite'), { readonly: true });
      try {
        assert.deepEqual(db.prepare('SELECT action, detail FROM audit ORDER BY id').raw().all(), [
          ['member.add', JSON.stringify({ organization: 'Alpha' })],
          ['member.update', JSON.stringify({ organization: 'Alpha Two', previous: 'Alpha' })],
        ]);
      } finally {
        db.close();
      }
    });

    it('held show of a number that does not exist says HELD_NOT_FOUND', async () => {
      const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
      const r = await runCli(['--config', config, 'held', 'show', '999']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^embargo-list: HELD_NOT_FOUND there is no held message 999/);
    });

    it('check-config and the daemon warn once when policy.criteria is the built-in default; not when it is set', async () => {
      const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
      const r = await runCli(['--config', config, 'check-config']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^embargo-list: warning: CONFIG_DEFAULT_CRITERIA policy\.criteria is not set/);
      assert.match(r.stdout, /^# ok: /);
      const child = spawn(process.execPath, [CLI, '--config', config, 'run'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c) => {
        stderr += c;
      });
      await waitUntil(() => /STARTED/.test(stderr), { what: 'the daemon to start' });
      child.kill('SIGTERM');
      assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 0);
      const warnings = stderr
        .split('\n')
        .filter((l) => l.includes('CONFIG_DEFAULT_CRITERIA'))
        .map((l) => JSON.parse(l) as { level: number; key: string });
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.key, 'policy.criteria');
      assert.equal(warnings[0]!.level, 40);
      const own = writeYaml(
        dir,
        DIRECTORY_CONFIG(dir).replace(
          'policy: { membersMayOpenThreads: true }',
          'policy: { membersMayOpenThreads: true, criteria: [Have a security alias, Ship our software, Accept the embargo], embargoCriterion: 3 }',
        ),
      );
      const quiet = await runCli(['--config', own, 'check-config']);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.equal(quiet.stderr, '');
    });

    it('npm start: SIGTERM to the npm process stops the daemon (the start script execs node)', async () => {
      const config = writeYaml(dir, DIRECTORY_CONFIG(dir));
      const npm = spawn('npm', ['start', '--silent'], {
        cwd: PACKAGE_ROOT,
        env: { ...process.env, EMBARGO_LIST_CONFIG: config },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      npm.stderr.on('data', (c) => {
        stderr += c;
      });
      const pidFile = path.join(dir, 'data', 'embargo-list.pid');
      await waitUntil(() => /STARTED/.test(stderr) && fs.existsSync(pidFile), { what: 'the daemon to start' });
      const daemonPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      assert.notEqual(daemonPid, npm.pid, "the daemon is npm's child");
      try {
        npm.kill('SIGTERM');
        await new Promise((resolve) => npm.on('exit', resolve));
        await waitUntil(() => !processRuns(daemonPid), { what: `the daemon (pid ${daemonPid}) to stop` });
        assert.match(stderr, /STOPPED/);
        assert.equal(fs.existsSync(pidFile), false, 'a clean stop removes the pid file');
      } finally {
        if (processRuns(daemonPid)) process.kill(daemonPid, 'SIGKILL');
      }
    });
  });

  it('answers --help on every command and exits 2 on a wrong one', async () => {
    for (const args of [
      [],
      ['run'],
      ['ingest'],
      ['check-config'],
      ['migrate'],
      ['members'],
      ['members', 'add'],
      ['members', 'update'],
    ]) {
      const r = await runCli([...args, '--help']);
      assert.equal(r.code, 0, `${args.join(' ')} --help`);
      assert.match(r.stdout, /Usage: embargo-list/);
    }
    const wrong = await runCli(['frobnicate']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /unknown command/);
  });
});
