/**
 * Relay benchmark: a program, not a test (it lives outside test/, so mocha never loads it). `npm run bench`.
 *
 * The production path: posts carry the trusted receiving host's Authentication-Results (aligned
 * dkim=pass, dmarc=pass) and posts must be authenticated; From rewritten; one VERP envelope per
 * member; members added in one step (`members import`); members may open threads, so that their
 * posts relay (shipped: they wait for a moderator). Against the integration harness's Dovecot and
 * SMTP peer, on loopback only, per scenario (a Dovecot of its own):
 *  1. start: the daemon spawned with an empty INBOX: time to its STARTED line, RSS once idle;
 *  2. backlog: N posts (~3 KB, from members, to the list) APPENDed to the INBOX before the daemon
 *     starts, relayed to M members: time from the daemon's spawn to the last of N*M deliveries
 *     received by the SMTP peer; once per connection count;
 *  3. bare I/O path, the reference, before each daemon run: a separate node process that runs
 *     imapflow (one UID FETCH of the sources) and a nodemailer pool (same maxConnections,
 *     maxMessages Infinity, one envelope per recipient) with no logic, to a fresh SMTP peer;
 *  4. push latency (first scenario, first run): the daemon idle in IDLE, posts APPENDed one at a
 *     time; APPEND done to the first relayed copy, beside Dovecot's own IDLE notification time to a
 *     plain imapflow client on the same INBOX (the floor);
 *  5. the daemon's RSS: VmRSS sampled every 200 ms, and VmHWM (its peak) from /proc/<pid>/status.
 *
 * Scenarios (--scenario, default `default`): default = 2,000 posts x 20 members at 5 and 10
 * connections; large-list = 100 x 1,000 at 5; long-backlog = 10,000 x 20 at 5; all = the three.
 * --posts, --members or --connections instead make one custom scenario (defaults 2000, 20, 5).
 *
 * Files: options.ts (command line), scenarios.ts, load.ts (members and posts), bare.ts and
 * bare-worker.ts (the reference path), idle-start.ts, daemon-run.ts and latency.ts (the daemon's
 * runs), measure.ts (/proc, disk), counting-peer.ts (the SMTP peer), report.ts (the summary),
 * util.ts (clocks, statistics, cleanup), snapshot.ts and the integration helpers (the daemon is built
 * into a temporary directory of its own at the start, from the working tree or --daemon-from REV,
 * and run from there, so that a rebuild of dist/ during the run changes nothing measured).
 *
 * Prints a summary and writes JSON (default bench-results/relay-<ISO 8601 basic time>.json); the
 * last line of standard output is `SUMMARY {"ratio":..,"peakRssMB":..,"deliveriesPerSecond":..,
 * "latencyP50Ms":..,"floorP50Ms":..}` for the first scenario's first run.
 * Every process it starts (Dovecot, SMTP peers, the daemon, the bare worker) is stopped on the
 * way out, also on failure, on SIGINT/SIGTERM and when the time limit (--max-seconds) is hit.
 *
 * Options: --scenario default|large-list|long-backlog|all
 *          --posts N --members N --connections 5[,10,...] (one custom scenario instead)
 *          --post-bytes N --batch-size N --latency-posts N --latency-gap-ms N
 *          --imap-poll-seconds N --dovecot-fsync optimized|never|always
 *          --daemon-node-options "..." (default: the flags of package.json's start script)
 *          --daemon-from tree|<git revision>
 *          --max-seconds N --out FILE --no-bare --no-latency
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDovecot } from '../test/integration/harness/dovecot';
import { appendMany, listUids } from '../test/integration/harness/imap';
import { LIST } from '../test/integration/helpers/daemon';
import { runBare } from './bare';
import { runDaemon } from './daemon-run';
import { idleStart } from './idle-start';
import { makePost, memberList, moveBack } from './load';
import { calibrateDisk } from './measure';
import { type Options, parseOptions } from './options';
import { buildSnapshot } from './snapshot';
import type { Scenario } from './scenarios';
import { printSummary } from './report';
import { now, onCleanup, pkgVersion, round, runCleanups, tryExec } from './util';

/** The benchmark's JSON report: written as it is built, any shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Set while a signal or the time limit is stopping everything; it ends the process itself. */
let aborted: Promise<void> | null = null;

/** One scenario in a Dovecot of its own: the daemon idle after start, the backlog, then per connection count the bare path and the daemon. */
async function runScenario(scenario: Scenario, sc: Json, log: (s: string) => void, first: boolean): Promise<void> {
  const opts = options!;
  const members = memberList(scenario.members);
  log('starting Dovecot');
  const dovecot = await startDovecot({ users: [{ user: 'list', password: 'secret' }] });
  const stopDovecot = onCleanup('Dovecot', () => dovecot.stop());

  log(`daemon start with an empty INBOX (idle RSS, start to STARTED), ${scenario.members} members imported`);
  sc.idleStart = await idleStart(cli, dovecot, opts, scenario.connections[0]!, members);
  log(
    `  STARTED after ${sc.idleStart.startToStartedMs} ms; idle RSS ${sc.idleStart.idleRssMB} MB; members import ${sc.idleStart.membersImportSeconds} s`,
  );

  log(`APPENDing ${scenario.posts} posts to the INBOX`);
  const tag = Date.now().toString(36);
  const posts = Array.from({ length: scenario.posts }, (_, i) =>
    makePost(
      members[i % members.length]!.address,
      `bench.${i}.${tag}@bench.example`,
      `Bench post ${i}`,
      opts.postBytes,
    ),
  );
  sc.postBytesMeasured = Math.round(posts.reduce((a, p) => a + p.length, 0) / posts.length);
  const ta = now();
  // Set-up, not measured: with the harness's mail_fsync = never.
  await appendMany(dovecot, 'INBOX', posts);
  posts.length = 0;
  const appendSeconds = (now() - ta) / 1000;
  sc.backlog = {
    seconds: round(appendSeconds, 2),
    messagesPerSecond: round(scenario.posts / appendSeconds),
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

  const envelopeFrom = LIST.replace('@', '-bounces@');
  let backlogUids: number[] = [];
  for (const [i, c] of scenario.connections.entries()) {
    const run: Json = { maxConnections: c };
    sc.runs.push(run);
    if (i > 0) {
      log('moving the backlog back from Processed to the INBOX');
      await moveBack(dovecot, 'Processed', 'INBOX', backlogUids);
    }
    const inbox = (await listUids(dovecot, 'INBOX')).length;
    if (inbox !== scenario.posts) throw new Error(`expected ${scenario.posts} posts in the INBOX, found ${inbox}`);
    if (opts.bare) {
      log(`bare I/O path, maxConnections ${c}`);
      run.bare = await runBare(
        dovecot,
        scenario,
        c,
        envelopeFrom,
        members.map((m) => m.address),
      );
      log(`  ${run.bare.seconds} s, ${run.bare.deliveriesPerSecond} deliveries/s`);
    }
    const withLatency = opts.latency && first && i === 0;
    log(`daemon, maxConnections ${c}${withLatency ? ', then the IDLE latency test' : ''}`);
    const daemonRun = await runDaemon(cli, dovecot, opts, scenario, c, members, withLatency);
    run.daemon = daemonRun.result;
    backlogUids = daemonRun.processedUids;
    log(
      `  ${run.daemon.seconds} s, ${run.daemon.deliveriesPerSecond} deliveries/s, peak RSS ${run.daemon.rss.peakMB} MB`,
    );
    if (run.bare) {
      run.ratio = {
        fromSpawn: round(run.daemon.deliveriesPerSecond / run.bare.deliveriesPerSecond, 3),
        fromStartedLog: run.daemon.deliveriesPerSecondFromStartedLog
          ? round(run.daemon.deliveriesPerSecondFromStartedLog / run.bare.deliveriesPerSecond, 3)
          : null,
      };
    }
  }
  await stopDovecot();
}

/** The SUMMARY line's values: the first scenario's first run. */
function summaryOf(results: Json) {
  const sc = results.scenarios[0];
  const run = sc?.runs[0];
  const d = run?.daemon;
  return {
    ratio: run?.ratio?.fromSpawn ?? null,
    peakRssMB: d?.rss?.peakMB ?? null,
    deliveriesPerSecond: d?.deliveriesPerSecond ?? null,
    latencyP50Ms: d?.latency?.appendToFirstCopyMs?.p50 ?? null,
    floorP50Ms: d?.latency?.dovecotIdleFloorMs?.p50 ?? null,
  };
}

let options: Options | null = null;
/** The daemon's command, from the benchmark's own build. */
let cli = '';

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  options = opts;
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
    params: { ...opts, scenarios: opts.scenarios.map((s) => s.name), out: undefined },
    scenarios: [] as Json[],
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

  try {
    const log = (s: string) => console.error(`[${((now() - started) / 1000).toFixed(1).padStart(6)} s] ${s}`);
    log(`building the daemon (${opts.daemonFrom}) into a directory of its own: others may rebuild dist/ meanwhile`);
    log(`the daemon runs with node ${opts.daemonNodeOptions || '(no flags)'}`);
    const snapshot = buildSnapshot(opts.daemonFrom);
    results.daemonBuild = { ...snapshot, cli: undefined };
    cli = snapshot.cli;
    log(
      `  commit ${String(snapshot.commit).slice(0, 7)}, ${snapshot.srcChanges.length ? `src/ changed: ${snapshot.srcChanges.map((c) => c.trim()).join(', ')}` : 'src/ as committed'}`,
    );
    log('measuring the disk (fdatasync, SQLite commits)');
    results.disk = calibrateDisk();
    let first = true;
    for (const scenario of opts.scenarios) {
      const sc: Json = { ...scenario, deliveries: scenario.posts * scenario.members, runs: [] as Json[] };
      results.scenarios.push(sc);
      log(`scenario ${scenario.name}: ${scenario.posts} posts x ${scenario.members} members`);
      await runScenario(scenario, sc, log, first);
      first = false;
      writeResults();
    }
    results.summary = summaryOf(results);
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
  // The last line, for machines: the first scenario's first run.
  console.log(`SUMMARY ${JSON.stringify(results.summary)}`);
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
