/**
 * A real Dovecot IMAP server for integration tests.
 *
 * Every call to startDovecot() gets its own temporary directory (config, users file, mail,
 * base_dir, state_dir, log) and its own loopback port, so servers never share state with each
 * other or with a system Dovecot. Nothing is registered globally: the caller must call stop()
 * (typically in mocha's after()).
 *
 * Works as root (mail processes run as nobody/65534, internal user `dovecot`, login user
 * `dovenull`, all created by the dovecot-core package) and as an ordinary user (everything
 * runs as that user, chroot turned off for anvil and imap-login).
 *
 * Facts this relies on (measured with Dovecot 2.3.19):
 *  - `dovecot -F -c CONFIG` reads only CONFIG; SIGTERM stops the master in about 1.1 s, but
 *    imap processes of connected clients outlive it by ~10 s, so stop()/restart() signal the
 *    master and all its descendants together (see stopProcesses).
 *  - One failed login from an IP makes Dovecot's anvil delay later logins from that IP (auth
 *    penalty, 2-15 s); the generated config turns the penalty off. The failed reply itself is
 *    still delayed by 2 s (auth_failure_delay).
 *  - Every new connection may first get "* OK Waiting for authentication process to respond.."
 *    and then the real "* OK [CAPABILITY ...] ... ready." greeting; clients cope with both.
 *  - Restarting in the same base_dir fails ("Dovecot is already running") until the old master
 *    has exited, so restart() waits for the exit before it spawns again.
 *  - `doveadm -c CONFIG kick USER` (or the mask `*`) signals the user's imap processes; the
 *    client receives "* BYE Server shutting down." and the connection closes. It exits 68
 *    ("no users kicked") when nobody is logged in. Clients still in the pre-login phase (not
 *    yet authenticated) are not affected by kick.
 */
import { createHash } from 'node:crypto';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface DovecotUser {
  user: string;
  password: string;
}

export interface Dovecot {
  host: '127.0.0.1';
  port: number;
  /** The temporary directory holding config, users file, homes/mail, runtime state and log. */
  dir: string;
  users: DovecotUser[];
  /** SIGTERM, wait for exit, remove the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Stop the server (keeping dir, mail and port), wait for it to exit, start it again. */
  restart(): Promise<void>;
  /** Drop the IMAP connections of `user` (default: of every user) and wait until they are gone. */
  kick(user?: string): Promise<void>;
}

const HOST = '127.0.0.1' as const;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const KICK_TIMEOUT_MS = 10_000;
/** doveadm exit code EX_NOUSER: "no users kicked". */
const DOVEADM_EX_NOUSER = 68;

function findBinary(envName: string, candidates: string[], fallback: string): string {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  for (const c of candidates) {
    if (fs.existsSync(c)) return c;
  }
  return fallback;
}

const DOVECOT_BIN = () => findBinary('DOVECOT_BIN', ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'], 'dovecot');
const DOVEADM_BIN = () => findBinary('DOVEADM_BIN', ['/usr/bin/doveadm', '/usr/local/bin/doveadm'], 'doveadm');

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Every directory from / down to `dir` is traversable by other users (o+x). */
function traversableByOthers(dir: string): boolean {
  let current = path.resolve(dir);
  for (;;) {
    try {
      if ((fs.statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

function pickTempBase(): string {
  const base = os.tmpdir();
  // Unix socket paths are limited to ~107 bytes; base_dir holds sockets like login/imap-urlauth.
  const shortEnough = base.length <= 60;
  // As root the mail/auth processes run as other users: they must be able to traverse the path.
  if (shortEnough && (!isRoot() || traversableByOthers(base))) return base;
  return '/tmp';
}

/**
 * A loopback port that was free a moment ago (bind 0, read, close). Nothing holds it afterwards,
 * so another process may take it first: use it only for a server that cannot bind port 0 itself
 * (Dovecot, the daemon's HTTP endpoint), and retry with a fresh port when the bind fails with
 * "Address already in use" (startDovecot below; hardening.test.ts for the HTTP endpoint).
 * The SMTP peer binds port 0 and reads its port back, which has no such race.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const port = addr.port;
      srv.close(() => resolve(port));
    });
  });
}

function groupEntries(): { name: string; gid: number }[] {
  try {
    return fs
      .readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .filter((f) => f[0] && f[2] !== undefined && /^\d+$/.test(f[2]))
      .map((f) => ({ name: f[0]!, gid: Number(f[2]) }));
  } catch {
    return [];
  }
}

/** Numeric gid of a group from /etc/group, or undefined. */
function groupId(name: string): number | undefined {
  return groupEntries().find((g) => g.name === name)?.gid;
}

/** Name of a group from /etc/group, or undefined. */
function groupName(gid: number): string | undefined {
  return groupEntries().find((g) => g.gid === gid)?.name;
}

function validateUsers(users: DovecotUser[]): void {
  if (users.length === 0) throw new Error('startDovecot: at least one user is required');
  const seen = new Set<string>();
  for (const { user, password } of users) {
    if (!/^[A-Za-z0-9._@+-]+$/.test(user)) {
      throw new Error(`startDovecot: unsupported user name ${JSON.stringify(user)} (use [A-Za-z0-9._@+-])`);
    }
    if (/[:\r\n]/.test(password) || password.length === 0) {
      throw new Error(`startDovecot: password of ${user} must be non-empty and contain no ':' or line breaks`);
    }
    if (seen.has(user)) throw new Error(`startDovecot: duplicate user ${user}`);
    seen.add(user);
  }
}

interface Layout {
  dir: string;
  config: string;
  usersFile: string;
  logFile: string;
  baseDir: string;
  stateDir: string;
  homeDir: (user: string) => string;
}

function layoutFor(dir: string): Layout {
  return {
    dir,
    config: path.join(dir, 'dovecot.conf'),
    usersFile: path.join(dir, 'users'),
    logFile: path.join(dir, 'dovecot.log'),
    baseDir: path.join(dir, 'run'),
    stateDir: path.join(dir, 'state'),
    homeDir: (user) => path.join(dir, 'home', user),
  };
}

/**
 * The greeting of this instance alone: if another server (another test's Dovecot) took our port
 * before we bound it, its "* OK" does not count as ours starting.
 */
function greetingFor(l: Layout): string {
  return `embargo-test ${createHash('sha256').update(l.config).digest('hex').slice(0, 16)} ready`;
}

function buildConfig(l: Layout, port: number, uid: number, gid: number, root: boolean): string {
  const me = os.userInfo().username;
  const lines = [
    '# Generated by test/integration/harness/dovecot.ts. Only this file is read (dovecot -c).',
    `instance_name = embargo-test-${port}`,
    `base_dir = ${l.baseDir}`,
    `state_dir = ${l.stateDir}`,
    `log_path = ${l.logFile}`,
    `info_log_path = ${l.logFile}`,
    'listen = 127.0.0.1',
    'protocols = imap',
    `login_greeting = ${greetingFor(l)}`,
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    `default_internal_user = ${root ? 'dovecot' : me}`,
    `default_login_user = ${root ? 'dovenull' : me}`,
    // Unix sockets in base_dir are chowned to this group; as non-root it must be one of ours.
    `default_internal_group = ${root ? 'dovecot' : (groupName(gid) ?? me)}`,
    `first_valid_uid = ${uid}`,
    `last_valid_uid = ${uid}`,
    `first_valid_gid = ${gid}`,
    `last_valid_gid = ${gid}`,
    'mail_location = maildir:~/Maildir',
    'mail_fsync = never',
    'mail_max_userip_connections = 100',
    'passdb {',
    '  driver = passwd-file',
    `  args = scheme=PLAIN username_format=%u ${l.usersFile}`,
    '}',
    'userdb {',
    '  driver = passwd-file',
    `  args = username_format=%u ${l.usersFile}`,
    '}',
    'service imap-login {',
    '  inet_listener imap {',
    '    address = 127.0.0.1',
    `    port = ${port}`,
    '  }',
    '  inet_listener imaps {',
    '    port = 0',
    '  }',
  ];
  if (!root) lines.push('  chroot =');
  lines.push('}');
  // No auth penalty: otherwise one failed login (a test of wrong credentials) delays every later
  // login from 127.0.0.1 by 2-15 s for an hour. The 2 s delay of the failed reply itself stays.
  lines.push('service anvil {', '  unix_listener anvil-auth-penalty {', '    mode = 0', '  }');
  if (!root) lines.push('  chroot =');
  lines.push('}');
  return lines.join('\n') + '\n';
}

async function writeLayout(l: Layout, port: number, users: DovecotUser[]): Promise<void> {
  const root = isRoot();
  const uid = root ? 65534 : process.getuid!();
  const gid = root ? 65534 : process.getgid!();

  await fsp.chmod(l.dir, 0o755);
  for (const d of [l.baseDir, l.stateDir, path.join(l.dir, 'home')]) {
    await fsp.mkdir(d, { recursive: true });
    await fsp.chmod(d, 0o755);
  }
  for (const { user } of users) {
    const home = l.homeDir(user);
    await fsp.mkdir(home, { recursive: true });
    await fsp.chmod(home, 0o700);
    if (root) await fsp.chown(home, uid, gid);
  }

  const passwd =
    users.map(({ user, password }) => `${user}:{PLAIN}${password}:${uid}:${gid}::${l.homeDir(user)}::`).join('\n') +
    '\n';
  await fsp.writeFile(l.usersFile, passwd, { mode: 0o600 });
  if (root) {
    // The auth process runs as `dovecot`: group-readable by dovecot, or world-readable if the
    // group is unknown (test passwords only).
    const dovecotGid = groupId('dovecot');
    if (dovecotGid !== undefined) {
      await fsp.chown(l.usersFile, 0, dovecotGid);
      await fsp.chmod(l.usersFile, 0o640);
    } else {
      await fsp.chmod(l.usersFile, 0o644);
    }
  }
  await fsp.writeFile(l.config, buildConfig(l, port, uid, gid, root), { mode: 0o644 });
}

async function logTail(l: Layout, lines = 30): Promise<string> {
  try {
    const text = await fsp.readFile(l.logFile, 'utf8');
    return text.split('\n').slice(-lines).join('\n').trim() || '(log is empty)';
  } catch {
    return '(no log file)';
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * One attempt: connect and read until a real greeting ("* OK" that is not the interim
 * "Waiting for authentication process" line). Resolves true on success, false otherwise.
 */
function probeGreeting(port: number, attemptTimeoutMs: number, greeting?: string): Promise<boolean> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const sock = net.connect({ host: HOST, port });
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) {
        sock.end('x LOGOUT\r\n');
        sock.once('close', () => resolve(true));
        setTimeout(() => sock.destroy(), 500).unref();
      } else {
        sock.destroy();
        resolve(false);
      }
    };
    const timer = setTimeout(() => finish(false), attemptTimeoutMs);
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let idx: number;
      while ((idx = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, idx).replace(/\r$/, '');
        buf = buf.slice(idx + 1);
        if (/^\* OK\b/i.test(line) && !/Waiting for authentication/i.test(line))
          return finish(greeting === undefined || line.includes(greeting));
        if (/^\* (BYE|NO|BAD)\b/i.test(line)) return finish(false);
      }
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
}

/** All processes from /proc (Linux), or undefined where there is no /proc. */
function readProcs(): ProcInfo[] | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  const procs: ProcInfo[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    procs.push({ pid: Number(name), state: fields[0] ?? '?', ppid: Number(fields[1]) });
  }
  return procs;
}

/** Every live descendant of `rootPid` (children, grandchildren, ...). */
function descendantsOf(rootPid: number): number[] {
  const procs = readProcs() ?? [];
  const found: number[] = [];
  let frontier = [rootPid];
  while (frontier.length > 0) {
    const parents = new Set(frontier);
    frontier = procs.filter((p) => parents.has(p.ppid) && !found.includes(p.pid)).map((p) => p.pid);
    found.push(...frontier);
  }
  return found;
}

/** Whether `pid` is a live process; zombies (which an init may be slow to reap) do not count. */
function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync('/proc/self')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

async function waitForAllExit(child: ChildProcess, pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  if (!(await waitForExit(child, timeoutMs))) return false;
  while (pids.some(pidAlive)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

class DovecotInstance implements Dovecot {
  readonly host = HOST;
  private child: ChildProcess | undefined;
  private output = '';
  private stopped = false;

  constructor(
    readonly port: number,
    readonly dir: string,
    readonly users: DovecotUser[],
    private readonly layout: Layout,
  ) {}

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(DOVECOT_BIN(), ['-F', '-c', this.layout.config], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (d: Buffer) => {
      this.output = (this.output + d.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });

    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (spawnError) {
        throw new Error(`could not run ${DOVECOT_BIN()}: ${spawnError.message} (is dovecot-imapd installed?)`);
      }
      if (hasExited(child)) {
        throw new Error(
          `dovecot exited during start-up (code ${child.exitCode}, signal ${child.signalCode}) on port ${this.port}.\n` +
            `output:\n${this.output.trim() || '(none)'}\nlog tail (${this.layout.logFile}):\n${await logTail(this.layout)}`,
        );
      }
      if (await probeGreeting(this.port, 2_000, greetingFor(this.layout))) return;
      if (Date.now() > deadline) {
        await this.stopProcesses();
        throw new Error(
          `dovecot did not answer "* OK" on ${HOST}:${this.port} within ${START_TIMEOUT_MS} ms.\n` +
            `output:\n${this.output.trim() || '(none)'}\nlog tail (${this.layout.logFile}):\n${await logTail(this.layout)}`,
        );
      }
      await sleep(25);
    }
  }

  /**
   * SIGTERM the master and all its descendants at once, and wait until every one of them has
   * exited (SIGKILL after the timeout).
   *
   * Why not just the master: on SIGTERM the master exits in about 1.1 s, but the imap processes
   * of connected clients are left behind (reparented to init) and keep serving their
   * connections for about 10 more seconds before they say "* BYE Server shutting down.". A
   * restart() would then not look like the server going away to a connected client, and the
   * old processes would still hold files in the directory. Signalled directly, an imap process
   * says BYE and closes at once (that is also what `doveadm kick` does).
   *
   * (Dovecot stays in our process group on purpose, so that Ctrl-C on a test run also ends it.)
   */
  private async stopProcesses(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    const pids = [...(hasExited(child) ? [] : [child.pid]), ...descendantsOf(child.pid)];
    signalAll(pids, 'SIGTERM');
    if (await waitForAllExit(child, pids, STOP_TIMEOUT_MS)) return;
    signalAll(pids.filter(pidAlive), 'SIGKILL');
    if (!(await waitForAllExit(child, pids, 5_000))) {
      throw new Error(`dovecot (pid ${child.pid}) or one of its processes did not exit after SIGTERM and SIGKILL`);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.stopProcesses();
    } finally {
      await fsp.rm(this.dir, { recursive: true, force: true });
    }
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('dovecot: restart() after stop()');
    await this.stopProcesses();
    // The master removes master.pid on a clean exit; if a SIGKILL left it behind, a new master
    // would still start (it checks whether that pid is alive), so nothing else to clean up.
    await this.start();
  }

  async kick(user?: string): Promise<void> {
    if (this.stopped) throw new Error('dovecot: kick() after stop()');
    const mask = user ?? '*';
    const { code, stdout, stderr } = await this.doveadm(['kick', mask]);
    if (code !== 0 && code !== DOVEADM_EX_NOUSER) {
      throw new Error(`doveadm kick ${mask} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
    }
    // doveadm only sends signals: wait until anvil no longer lists the user(s).
    const deadline = Date.now() + KICK_TIMEOUT_MS;
    for (;;) {
      const who = await this.doveadm(['who', '-1']);
      const connected = who.stdout
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/)[0])
        .filter((name): name is string => !!name && (user === undefined || name === user));
      if (who.code === 0 && connected.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `dovecot: connections of ${mask} still present ${KICK_TIMEOUT_MS} ms after kick:\n${who.stdout}${who.stderr}`,
        );
      }
      await sleep(25);
    }
  }

  private doveadm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(DOVEADM_BIN(), ['-c', this.layout.config, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new Error(`could not run doveadm ${args.join(' ')}: ${err.message}`));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  }
}

export async function startDovecot(opts?: { users?: DovecotUser[] }): Promise<Dovecot> {
  const users = (opts?.users ?? [{ user: 'list', password: 'secret' }]).map((u) => ({ ...u }));
  validateUsers(users);
  // Dovecot cannot listen on port 0 and report the port, so the port is only reserved until our
  // probe socket closes; if something else grabs it before Dovecot binds, start() fails with
  // "Address already in use": try a fresh port then, a few times.
  const ATTEMPTS = 5;
  for (let attempt = 1; ; attempt++) {
    const dir = await fsp.mkdtemp(path.join(pickTempBase(), 'embargo-dovecot-'));
    try {
      const port = await freePort();
      const layout = layoutFor(dir);
      await writeLayout(layout, port, users);
      const instance = new DovecotInstance(port, dir, users, layout);
      await instance.start();
      return instance;
    } catch (err) {
      await fsp.rm(dir, { recursive: true, force: true });
      if (attempt < ATTEMPTS && err instanceof Error && /Address already in use/i.test(err.message)) continue;
      throw err;
    }
  }
}
