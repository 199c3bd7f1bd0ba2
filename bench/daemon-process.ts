/**
 * The daemon and its command line, run from the benchmark's own build (snapshot.ts) rather than
 * dist/: the same child process and JSON log reading as the integration helpers, another file.
 */
import { spawn } from 'node:child_process';
import type { CliResult, DaemonProcess, Setup } from '../test/integration/helpers/daemon';
import { withTimeout } from './util';

export function runCliAt(cli: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function startDaemonAt(cli: string, setup: Setup): DaemonProcess {
  const child = spawn(process.execPath, [cli, '--config', setup.configFile, 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: DaemonProcess['logs'] = [];
  const waiters = new Set<() => void>();
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
    for (const w of waiters) w();
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    exited,
    waitForLog(pattern, timeoutMs = 20_000) {
      const found = () => logs.some((l) => pattern.test(l.msg));
      if (found()) return Promise.resolve();
      let waiter = () => undefined as void;
      const p = new Promise<void>((resolve) => {
        waiter = () => {
          if (found()) resolve();
        };
        waiters.add(waiter);
      });
      return withTimeout(p, timeoutMs, `a log line matching ${pattern}`).finally(() => waiters.delete(waiter));
    },
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
