/**
 * Measuring: the daemon's memory and CPU from /proc, how busy the machine is, and the disk's
 * SQLite commit rate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { now, round, tryExec } from './util';

export function procStatus(pid: number): { rssKb: number; hwmKb: number } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number): number | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

const CLK_TCK = Number(tryExec('getconf', ['CLK_TCK']) ?? 100) || 100;

/** Whole-machine CPU time (all cores): busy and total jiffies, from /proc/stat. */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Starts a measurement of how busy the machine (all processes, not only ours) is. */
export function machineLoad() {
  const a = machineCpu();
  const load: number[] = [];
  const timer = setInterval(() => load.push(os.loadavg()[0]!), 1000);
  return () => {
    clearInterval(timer);
    const b = machineCpu();
    const busyFraction = a && b && b.total > a.total ? round((b.busy - a.busy) / (b.total - a.total), 3) : null;
    return { busyFraction, loadAverage1m: load.length ? round(Math.max(...load), 2) : round(os.loadavg()[0]!, 2) };
  };
}

/** The SQLite commit rate of this machine's disk (where the daemon keeps its database), for reading the results. */
export function calibrateDisk(): Record<string, number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-bench-disk-'));
  const out: Record<string, number> = {};
  try {
    const fd = fs.openSync(path.join(dir, 'probe'), 'w');
    const n = 100;
    let t = now();
    for (let i = 0; i < n; i++) {
      fs.writeSync(fd, Buffer.alloc(4096, 1));
      fs.fdatasyncSync(fd);
    }
    out.fdatasyncMs = round((now() - t) / n, 3);
    fs.closeSync(fd);
    for (const sync of ['FULL', 'NORMAL']) {
      const db = new Database(path.join(dir, `probe-${sync}.sqlite`));
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${sync}`);
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
      const rows = sync === 'FULL' ? 300 : 3000;
      t = now();
      for (let i = 0; i < rows; i++) ins.run('x'.repeat(100));
      out[`sqliteAutocommit${sync === 'FULL' ? 'Full' : 'Normal'}PerSecond`] = Math.round(rows / ((now() - t) / 1000));
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** VmRSS of a process every `everyMs` (and VmHWM, its peak, which catches what falls between samples). */
export function rssSampler(pid: number, everyMs = 200) {
  const s = { maxRssKb: 0, hwmKb: 0, samples: 0, series: [] as [number, number][] };
  const t0 = now();
  const take = () => {
    const st = procStatus(pid);
    if (!st) return;
    s.samples += 1;
    s.series.push([round((now() - t0) / 1000, 2), mb(st.rssKb)]);
    if (st.rssKb > s.maxRssKb) s.maxRssKb = st.rssKb;
    if (st.hwmKb > s.hwmKb) s.hwmKb = st.hwmKb;
  };
  take();
  const timer = setInterval(take, everyMs);
  /** The first sample at or after `ms` after the sampler started, in MB. */
  const at = (ms: number) => s.series.find(([t]) => t * 1000 >= ms)?.[1] ?? null;
  return { state: s, take, at, stop: () => clearInterval(timer) };
}

export const mb = (kb: number) => round(kb / 1024);
