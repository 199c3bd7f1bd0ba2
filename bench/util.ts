/**
 * Small utilities of the relay benchmark: clocks, statistics, time limits, versions, and the
 * cleanup list (everything started registers how to stop it; run in reverse order, whatever happens).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  // Nearest-rank.
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

export function stats(values: number[]): {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
} {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    n: s.length,
    min: round(s[0] ?? NaN),
    p50: round(quantile(s, 0.5)),
    p95: round(quantile(s, 0.95)),
    max: round(s[s.length - 1] ?? NaN),
    mean: round(mean),
  };
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function tryExec(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function pkgVersion(name: string): string | null {
  try {
    // Resolve package.json next to the package's entry (some packages do not export it).
    let dir = path.dirname(require.resolve(name));
    for (let i = 0; i < 5; i++) {
      const f = path.join(dir, 'package.json');
      if (fs.existsSync(f)) {
        const pkg = JSON.parse(fs.readFileSync(f, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? null;
      }
      dir = path.dirname(dir);
    }
  } catch {
    /* not installed */
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started registers how to stop it; run in reverse order, whatever happens.

const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];

export function onCleanup(name: string, fn: () => Promise<void> | void): () => Promise<void> {
  const entry = { name, fn };
  cleanups.push(entry);
  // Calling the returned function runs this cleanup now and unregisters it.
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await fn();
  };
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const c = cleanups.pop()!;
    try {
      await withTimeout(Promise.resolve().then(c.fn), 25_000, `cleanup of ${c.name}`);
    } catch (err) {
      console.error(`bench: cleanup of ${c.name} failed: ${(err as Error).message}`);
    }
  }
}
