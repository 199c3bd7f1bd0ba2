/**
 * Relay benchmark: a program, not a test (it lives outside test/, so mocha never loads it). `npm run bench`.
 *
 * Against the integration harness's Dovecot and SMTP peer, on loopback only:
 *  1. backlog: N posts (default 2,000, ~3 KB, from members, to the list) APPENDed to the INBOX
 *     before the daemon starts, relayed to M members (default 20, added with the CLI): time from
 *     the daemon's spawn to the last of N*M deliveries received by the SMTP peer;
 *  2. bare I/O path, the reference: a separate node process that runs imapflow (one UID FETCH of
 *     the sources) and a nodemailer pool (same maxConnections, maxMessages Infinity, one envelope
 *     per recipient) with no logic, to a fresh SMTP peer;
 *  3. push latency: the daemon idle in IDLE, posts APPENDed one at a time; time from the APPEND's
 *     completion to the first relayed copy at the peer, and beside it, from a plain imapflow
 *     client idling on the same INBOX, Dovecot's own IDLE notification time (the floor);
 *  4. the daemon's peak RSS (VmHWM from /proc/<pid>/status, plus VmRSS sampled every 50 ms).
 *
 * Files: options.ts (command line), load.ts (members and posts), bare.ts and bare-worker.ts (the
 * reference path), daemon-run.ts and latency.ts (the daemon's runs), measure.ts (/proc, disk),
 * counting-peer.ts (the SMTP peer), report.ts (the summary), util.ts (clocks, statistics, cleanup).
 *
 * Prints a summary and writes JSON (default bench-results/relay-<ISO 8601 basic time>.json).
 * Every process it starts (Dovecot, SMTP peers, the daemon, the bare worker) is stopped on the
 * way out, also on failure, on SIGINT/SIGTERM and when the time limit (--max-seconds) is hit.
 *
 * Options: --posts N --members N --post-bytes N --connections 5[,10,...] --batch-size N
 *          --latency-posts N --latency-gap-ms N --imap-poll-seconds N --dovecot-fsync optimized|never
 *          --daemon-node-options "..." --max-seconds N --out FILE --no-bare --no-latency
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDovecot } from '../test/integration/harness/dovecot';
import { appendMany, listUids } from '../test/integration/harness/imap';
import { CLI, LIST } from '../test/integration/helpers/daemon';
import { runBare } from './bare';
import { runDaemon } from './daemon-run';
import { makePost, memberList, moveBack } from './load';
import { calibrateDisk } from './measure';
import { parseOptions } from './options';
import { printSummary } from './report';
import { now, onCleanup, pkgVersion, round, runCleanups, tryExec } from './util';

/** The benchmark's JSON report: written as it is built, any shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Set while a signal or the time limit is stopping everything; it ends the process itself. */
let aborted: Promise<void> | null = null;

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = now();
  const results: Json = {
    benchmark: 'relay',
    ok: false,
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    totalMemoryMB: Math.round(os.totalmem() / 2 ** 20),
    loadAverageAtStart: os.loadavg().map((v) => round(v, 2)),
    user: os.userInfo().username,
    git: {
      commit: tryExec('git', ['rev-parse', 'HEAD']),
      // Others may be editing the tree: what differed from the commit when dist/ was built.
      dirty: (tryExec('git', ['status', '--porcelain']) ?? '').split('\n').filter(Boolean),
    },
    versions: {
      dovecot: tryExec(
        process.env.DOVECOT_BIN ?? (fs.existsSync('/usr/sbin/dovecot') ? '/usr/sbin/dovecot' : 'dovecot'),
        ['--version'],
      ),
      imapflow: pkgVersion('imapflow'),
      nodemailer: pkgVersion('nodemailer'),
      'smtp-server': pkgVersion('smtp-server'),
      'better-sqlite3': pkgVersion('better-sqlite3'),
      mailparser: pkgVersion('mailparser'),
      pino: pkgVersion('pino'),
    },
    params: { ...opts, out: undefined, postBytesMeasured: null as number | null },
    runs: [] as Record<string, unknown>[],
  };
  const outFile = path.resolve(opts.out);
  const writeResults = () => {
    results.totalSeconds = round((now() - started) / 1000, 1);
    results.loadAverageAtEnd = os.loadavg().map((v) => round(v, 2));
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
  };

  // Stop everything on a signal or when the time is up. The run in progress then fails too (its
  // daemon or peer is gone); the entry point waits for this instead of exiting at once.
  let aborting = false;
  const abort = (why: string, code: number) => {
    if (aborting) return;
    aborting = true;
    aborted = (async () => {
      console.error(`\nbench: ${why}; stopping everything it started`);
      results.error = why;
      await runCleanups();
      try {
        writeResults();
        console.error(`bench: partial results in ${outFile}`);
      } catch {
        /* ignore */
      }
      process.exit(code);
    })();
  };
  process.once('SIGINT', () => abort('interrupted (SIGINT)', 130));
  process.once('SIGTERM', () => abort('terminated (SIGTERM)', 143));
  const deadline = setTimeout(() => abort(`time limit of ${opts.maxSeconds} s reached`, 2), opts.maxSeconds * 1000);

  if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: build first (npm run build, or use npm run bench)`);

  try {
    const members = memberList(opts.members);
    const log = (s: string) => console.error(`[${((now() - started) / 1000).toFixed(1).padStart(6)} s] ${s}`);

    log('starting Dovecot');
    const dovecot = await startDovecot({ users: [{ user: 'list', password: 'secret' }] });
    onCleanup('Dovecot', () => dovecot.stop());

    log(`APPENDing ${opts.posts} posts to the INBOX`);
    const tag = Date.now().toString(36);
    const posts = Array.from({ length: opts.posts }, (_, i) =>
      makePost(
        members[i % members.length]!.address,
        `bench.${i}.${tag}@bench.example`,
        `Bench post ${i}`,
        opts.postBytes,
      ),
    );
    results.params.postBytesMeasured = Math.round(posts.reduce((a, p) => a + p.length, 0) / posts.length);
    const ta = now();
    // Set-up, not measured: with the harness's mail_fsync = never.
    await appendMany(dovecot, 'INBOX', posts);
    const appendSeconds = (now() - ta) / 1000;
    results.backlog = {
      seconds: round(appendSeconds, 2),
      messagesPerSecond: round(opts.posts / appendSeconds),
      mailFsync: 'never',
    };

    if (opts.dovecotFsync !== 'never') {
      // The harness turns fsync off for speed; the reference doc says keep the default when measuring.
      const conf = path.join(dovecot.dir, 'dovecot.conf');
      const text = fs.readFileSync(conf, 'utf8');
      if (!/^mail_fsync = never$/m.test(text))
        throw new Error('the harness config no longer sets mail_fsync = never; adapt the benchmark');
      fs.writeFileSync(conf, text.replace(/^mail_fsync = never$/m, `mail_fsync = ${opts.dovecotFsync}`));
      log(`restarting Dovecot with mail_fsync = ${opts.dovecotFsync}`);
      await dovecot.restart();
    }

    log('measuring the disk (fdatasync, SQLite commits)');
    results.disk = calibrateDisk();

    const envelopeFrom = LIST.replace('@', '-bounces@');
    let backlogUids: number[] = [];
    for (const [i, c] of opts.connections.entries()) {
      const run: Json = { maxConnections: c };
      results.runs.push(run);
      if (i > 0) {
        log('moving the backlog back from Processed to the INBOX');
        await moveBack(dovecot, 'Processed', 'INBOX', backlogUids);
      }
      const inbox = (await listUids(dovecot, 'INBOX')).length;
      if (inbox !== opts.posts) throw new Error(`expected ${opts.posts} posts in the INBOX, found ${inbox}`);
      if (opts.bare) {
        log(`bare I/O path, maxConnections ${c}`);
        run.bare = await runBare(
          dovecot,
          opts,
          c,
          envelopeFrom,
          members.map((m) => m.address),
        );
        log(`  ${run.bare.seconds} s, ${run.bare.deliveriesPerSecond} deliveries/s`);
      }
      const withLatency = opts.latency && i === 0;
      log(`daemon, maxConnections ${c}${withLatency ? ', then the IDLE latency test' : ''}`);
      const daemonRun = await runDaemon(dovecot, opts, c, members, withLatency);
      run.daemon = daemonRun.result;
      backlogUids = daemonRun.processedUids;
      log(`  ${run.daemon.seconds} s, ${run.daemon.deliveriesPerSecond} deliveries/s`);
      if (run.bare) {
        run.ratio = {
          fromSpawn: round(run.daemon.deliveriesPerSecond / run.bare.deliveriesPerSecond, 3),
          fromStartedLog: run.daemon.deliveriesPerSecondFromStartedLog
            ? round(run.daemon.deliveriesPerSecondFromStartedLog / run.bare.deliveriesPerSecond, 3)
            : null,
        };
      }
      writeResults();
    }
    results.ok = true;
  } catch (err) {
    if (!aborting) results.error = (err as Error).stack ?? String(err);
    throw err;
  } finally {
    clearTimeout(deadline);
    if (!aborting) {
      await runCleanups();
      writeResults();
    }
  }
  printSummary(results);
  console.log(`results: ${path.relative(process.cwd(), outFile)}`);
}

main().then(
  () => process.exit(0),
  async (err) => {
    if (aborted) {
      await aborted;
      return;
    }
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
