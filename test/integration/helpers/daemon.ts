/**
 * Runs the real embargo-list command (the built dist/src/cli.js) as a child process, so that
 * tests can SIGTERM and SIGKILL it like an operator or a crash would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Dovecot } from '../harness/dovecot';
import type { SmtpPeer } from '../harness/smtp-peer';
import { waitUntil } from '../../helpers/wait';

export const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'src', 'cli.js');

export const LIST = 'sec-announce@lists.test.example';
export const REQUESTS = 'sec-announce-requests@lists.test.example';
export const MODERATOR = 'security-team@project.test.example';
export const MODERATOR_2 = 'lead@project.test.example';
/** The receiving host whose Authentication-Results the tests' daemons believe. */
export const TRUSTED_MX = 'mx.lists.test.example';

export interface Setup {
  dir: string;
  configFile: string;
  dbFile: string;
}

export interface ConfigOptions {
  maxConnections?: number;
  /** Default true, as shipped. */
  requireAuthenticatedPosts?: boolean;
  /** Default false, as shipped: a member's new post waits for a moderator. */
  membersMayOpenThreads?: boolean;
  /** A YAML flow mapping for `schedule:`, e.g. '{ embargo: "* * * * * *" }'. */
  schedule?: string;
  /** A YAML flow mapping of further `policy:` keys. */
  policy?: string;
  http?: number;
  /** Default info; debug also logs every run of a scheduled job. */
  logLevel?: 'info' | 'debug';
}

/**
 * A fresh data directory and a config pointing at the given Dovecot user and SMTP peer. The
 * security and policy values are the shipped ones (config/default.yaml) unless a test asks for
 * another, saying why; only verifyDkim is off, as the tests have no DNS: the trusted receiving
 * host's Authentication-Results (helpers/authenticated.ts) authenticate senders.
 */
export function writeConfig(d: Dovecot, smtp: SmtpPeer, extra: ConfigOptions = {}): Setup {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-list-it-'));
  const user = d.users[0]!;
  const yaml = `list:
  name: Test Early Disclosure
  address: ${LIST}
  requestsAddress: ${REQUESTS}
  moderators: [${MODERATOR}, ${MODERATOR_2}]
dataDir: ${dir}/data
inbound:
  imap: { host: ${d.host}, port: ${d.port}, secure: false, user: ${user.user}, password: ${user.password},
          mailbox: INBOX, processedMailbox: Processed, quarantineMailbox: Quarantine, pollSeconds: 2, batchSize: 50 }
outbound:
  smtp: { host: ${smtp.host}, port: ${smtp.port}, secure: false, maxConnections: ${extra.maxConnections ?? 5} }
  retry: { firstSeconds: 0.5, maxSeconds: 2, giveUpHours: 1 }
  pollSeconds: 0.5
security: { trustedAuthservIds: [${TRUSTED_MX}], verifyDkim: false, requireAuthenticatedPosts: ${extra.requireAuthenticatedPosts ?? true} }
${extra.schedule ? `schedule: ${extra.schedule}` : ''}
${extra.http ? `http: { listen: { host: 127.0.0.1, port: ${extra.http} } }` : ''}
policy: { membersMayOpenThreads: ${extra.membersMayOpenThreads ?? false}${extra.policy ? `, ${extra.policy.replace(/^\{|\}$/g, '').trim()}` : ''} }
log: { level: ${extra.logLevel ?? 'info'}, format: json }
`;
  const configFile = path.join(dir, 'embargo-list.yaml');
  fs.writeFileSync(configFile, yaml);
  return { dir, configFile, dbFile: path.join(dir, 'data', 'embargo-list.sqlite') };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  opts: { input?: Buffer | string; env?: NodeJS.ProcessEnv; cli?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.cli ?? CLI, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export async function addMembers(setup: Setup, members: { address: string; org: string }[]): Promise<void> {
  for (const m of members) {
    const r = await runCli(['--config', setup.configFile, 'members', 'add', m.address, '--org', m.org]);
    if (r.code !== 0) throw new Error(`members add ${m.address} failed: ${r.stderr}`);
  }
}

export interface DaemonProcess {
  child: ChildProcess;
  /** Every log line so far, parsed. */
  logs: Array<{ msg: string; [k: string]: unknown }>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** The daemon of `cli` (dist/ by default; the benchmark passes a build of its own). */
export function startDaemon(setup: Setup, cli: string = CLI): DaemonProcess {
  const child = spawn(process.execPath, [cli, '--config', setup.configFile, 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: DaemonProcess['logs'] = [];
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    exited,
    waitForLog: (pattern, timeoutMs = 20_000) =>
      waitUntil(() => logs.some((l) => pattern.test(l.msg)), { timeoutMs, what: `a log line matching ${pattern}` }),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Reads the daemon's database (while it runs, WAL allows a reader beside it). */
export function query<T>(setup: Setup, sql: string, ...params: unknown[]): T[] {
  const db = new Database(setup.dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function cleanup(setup: Setup | undefined): void {
  if (setup) fs.rmSync(setup.dir, { recursive: true, force: true });
}
