/**
 * Process and system helpers of the receiving host harness (receiving-host.ts): starting its
 * daemons as children, waiting until they listen, stopping them by pid, free ports, users.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { dnsmasqConf, type DnsRecord } from './receiving-host-config';

export interface Child {
  name: string;
  child: ChildProcess;
  group?: boolean;
}

const START_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// Processes

export function launch(children: Child[], dir: string, name: string, cmd: string, args: string[], group = false): void {
  const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
  try {
    const child = spawn(cmd, args, { stdio: ['ignore', log, log], detached: group });
    child.on('error', () => {
      /* reported by waitListening: the process is not there */
    });
    children.push({ name, child, group });
  } finally {
    fs.closeSync(log);
  }
}

export async function startDnsmasq(
  dir: string,
  address: string,
  port: number,
  records: DnsRecord[],
  children: Child[],
): Promise<{ address: string; port: number } | null> {
  const conf = path.join(dir, 'etc', 'dnsmasq.conf');
  fs.writeFileSync(conf, dnsmasqConf({ address, port, dir, records }), { mode: 0o644 });
  launch(children, dir, 'dnsmasq', '/usr/sbin/dnsmasq', ['-k', '-C', conf]);
  const entry = children[children.length - 1]!;
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (isListening('udp', address, port)) return { address, port };
    if (entry.child.exitCode !== null || entry.child.signalCode !== null) break;
    await sleep(20);
  }
  children.pop();
  killQuietly(entry.child.pid, 'SIGKILL');
  return null;
}

export async function waitListening(
  children: Child[],
  dir: string,
  name: string,
  proto: 'tcp',
  port: number,
): Promise<void> {
  const entry = children.find((c) => c.name === name)!;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (isListening(proto, '127.0.0.1', port)) return;
    if (entry.child.exitCode !== null || entry.child.signalCode !== null) {
      throw new Error(
        `${name} exited during start-up (${entry.child.exitCode ?? entry.child.signalCode}): ${readTail(path.join(dir, `${name}.log`))}`,
      );
    }
    await sleep(20);
  }
  throw new Error(`${name} not listening on 127.0.0.1:${port} after ${START_TIMEOUT_MS} ms`);
}

/**
 * SIGTERM in reverse start order (Postfix first: no new mail), then SIGKILL whatever is left
 * after a short grace: the milters sit in libmilter's 5 s select timeout, and nothing they hold
 * matters to a test. Postfix master gets longer, since a SIGKILLed master leaves its services
 * behind; its process group is SIGKILLed at the end in any case.
 */
export async function stopChildren(children: Child[]): Promise<void> {
  const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;
  for (const c of children) killQuietly(c.child.pid, 'SIGTERM');
  const waitFor = async (list: typeof children, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && list.some((c) => alive(c.child))) await sleep(20);
  };
  await waitFor(
    children.filter((c) => c.group),
    3_000,
  );
  await waitFor(children, 300);
  for (const c of children) {
    if (alive(c.child)) killQuietly(c.child.pid, 'SIGKILL');
    if (c.group) killQuietly(c.child.pid, 'SIGKILL', true);
  }
  await waitFor(children, 2_000);
}

export function killQuietly(pid: number | undefined, signal: NodeJS.Signals, group = false): void {
  if (!pid) return;
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}

// ---------------------------------------------------------------------------------------------
// Small system facts

/** Whether something listens on ADDR:PORT, read from /proc/net (no connection is made). */
export function isListening(proto: 'tcp' | 'udp', address: string, port: number): boolean {
  const hexAddr = address
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase())
    .reverse()
    .join('');
  const want = `${hexAddr}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
  const table = fs.readFileSync(`/proc/net/${proto}`, 'utf8').split('\n').slice(1);
  return table.some((line) => {
    const cols = line.trim().split(/\s+/);
    // tcp: state 0A = LISTEN; udp: 07 = bound
    return cols[1] === want && cols[3] === (proto === 'tcp' ? '0A' : '07');
  });
}

export function canUnshare(): boolean {
  return spawnSync('/usr/bin/unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0;
}

export function randomLoopback53(): string {
  return `127.53.${randomInt(1, 255)}.${randomInt(1, 255)}`;
}

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export function readBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no SMTP banner within 10 s'));
    }, 10_000);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) {
        clearTimeout(timer);
        socket.end('QUIT\r\n');
        resolve(data.split(/\r?\n/)[0]!);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function lookupId(file: '/etc/passwd' | '/etc/group', name: string): number | null {
  const line = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === name);
  const id = line?.split(':')[2];
  return id !== undefined && /^\d+$/.test(id) ? Number(id) : null;
}

export function lookupGroupOf(user: string): number | null {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === user);
  const gid = line?.split(':')[3];
  return gid !== undefined && /^\d+$/.test(gid) ? Number(gid) : null;
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' / ');
  } catch {
    return '(no log)';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
