/**
 * The daemon's run: its configuration, the backlog from spawn to the last delivery, the evidence
 * from its log and database.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import type { Dovecot } from '../test/integration/harness/dovecot';
import { listUids } from '../test/integration/harness/imap';
import type { SmtpPeer } from '../test/integration/harness/smtp-peer';
import {
  cleanup,
  type DaemonProcess,
  query,
  runCli,
  type Setup,
  startDaemon,
  TRUSTED_MX,
  writeConfig,
} from '../test/integration/helpers/daemon';
import { startCountingPeer } from './counting-peer';
import { latencyTest } from './latency';
import { membershipTable } from './load';
import { machineLoad, mb, procCpuSeconds, procStatus, rssSampler } from './measure';
import type { Options } from './options';
import { type Scenario, secondsFor } from './scenarios';
import { now, onCleanup, round, sleep, stats, withTimeout } from './util';

/** How the benchmark's configuration stands to production's (config/default.yaml), kept in the JSON. */
const PRODUCTION_NOTES = [
  `posts carry the trusted receiving host's Authentication-Results (${TRUSTED_MX}: dkim=pass aligned with the From domain, dmarc=pass) and security.requireAuthenticatedPosts is true, as shipped`,
  'relay.fromRewrite is left to its default (always), and every copy has its own VERP envelope sender, as shipped',
  "policy.membersMayOpenThreads is true (shipped: false, where a member's new post waits for a moderator): so that member posts relay",
  'security.verifyDkim is false (the harness has no DNS; the trusted Authentication-Results decide, as in the integration tests)',
  'inbound.imap.batchSize and pollSeconds are set by --batch-size and --imap-poll-seconds; outbound retry and pollSeconds are the integration harness values',
  'members are added in one step, with `embargo-list members import` of a Membership table',
];

/**
 * The production path as writeConfig() writes it (trusted Authentication-Results, posts must be
 * authenticated, From rewritten, VERP), with members allowed to open threads so that their
 * posts relay, and the benchmark's IMAP batch size and poll interval.
 */
export function benchConfig(
  dovecot: Dovecot,
  peer: SmtpPeer,
  opts: Options,
  maxConnections: number,
): { setup: Setup; config: Record<string, unknown> } {
  const setup = writeConfig(dovecot, peer, {
    maxConnections,
    requireAuthenticatedPosts: true,
    membersMayOpenThreads: true,
  });
  const doc = YAML.parse(fs.readFileSync(setup.configFile, 'utf8')) as {
    inbound: { imap: Record<string, unknown> };
    security?: { trustedAuthservIds?: string[]; requireAuthenticatedPosts?: boolean };
    relay?: unknown;
  };
  if (!doc?.inbound?.imap) throw new Error('writeConfig() no longer writes inbound.imap; adapt the benchmark');
  // Fail rather than measure another path than production's.
  if (doc.security?.requireAuthenticatedPosts !== true || !doc.security.trustedAuthservIds?.includes(TRUSTED_MX))
    throw new Error('writeConfig() no longer trusts TRUSTED_MX and requires authenticated posts; adapt the benchmark');
  if (doc.relay !== undefined) throw new Error('writeConfig() now sets relay:; the benchmark wants its defaults');
  doc.inbound.imap.batchSize = opts.batchSize;
  // The poll is the safety net; with the writeConfig value (2 s) a poll could beat IDLE in the latency test.
  doc.inbound.imap.pollSeconds = opts.imapPollSeconds;
  fs.writeFileSync(setup.configFile, YAML.stringify(doc));
  const shown = JSON.parse(JSON.stringify(doc)) as { inbound: { imap: Record<string, unknown> }; dataDir?: string };
  shown.inbound.imap.password = '[redacted]';
  delete shown.dataDir;
  return { setup, config: { ...shown, benchNotes: PRODUCTION_NOTES } };
}

/** Adds every member in one step, `embargo-list members import` of a Membership table: its seconds. */
export async function importMembers(
  cli: string,
  setup: Setup,
  members: { address: string; org: string }[],
): Promise<number> {
  const file = `${setup.dir}/members.md`;
  fs.writeFileSync(file, membershipTable(members));
  const t = now();
  const r = await runCli(['--config', setup.configFile, 'members', 'import', file], { cli });
  const seconds = (now() - t) / 1000;
  if (r.code !== 0) throw new Error(`members import failed (exit ${r.code}): ${r.stderr}`);
  if (!r.stdout.includes(`imported ${members.length} rows: ${members.length} added`))
    throw new Error(`members import did not add the ${members.length} members: ${r.stdout}`);
  return seconds;
}

interface LogLine {
  msg: string;
  time?: string;
  [k: string]: unknown;
}

function logTimeline(logs: LogLine[], t0: number) {
  const at = (l: LogLine | undefined) => (l?.time ? round(Date.parse(l.time) - t0) : null);
  const words = (w: string) => logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith(w + ' '));
  const relayed = words('RELAYED');
  const sent = words('SENT');
  const counts: Record<string, number> = {};
  for (const l of logs) {
    const w = typeof l.msg === 'string' ? /^[A-Z_]+/.exec(l.msg)?.[0] : undefined;
    if (w) counts[w] = (counts[w] ?? 0) + 1;
  }
  return {
    counts,
    // Milliseconds after the spawn, from the daemon's own log times (ms resolution).
    startedMs: at(words('STARTED')[0]),
    imapConnectedMs: at(words('IMAP_CONNECTED')[0]),
    firstRelayedMs: at(relayed[0]),
    lastRelayedMs: at(relayed[relayed.length - 1]),
    firstSentMs: at(sent[0]),
    lastSentMs: at(sent[sent.length - 1]),
  };
}

/** Evidence from the daemon's database: how processing and delivery overlapped. */
function dbEvidence(setup: Setup) {
  const one = <T>(sql: string) => query<T>(setup, sql)[0]!;
  const inbound = one<{ n: number; first: string; last: string }>(
    "SELECT count(*) AS n, min(processed_at) AS first, max(processed_at) AS last FROM inbound WHERE status = 'processed'",
  );
  const outbox = one<{ n: number; first: string; last: string }>(
    "SELECT count(*) AS n, min(finished_at) AS first, max(finished_at) AS last FROM outbox WHERE status = 'sent'",
  );
  const byStatus = query<{ status: string; n: number }>(
    setup,
    'SELECT status, count(*) AS n FROM outbox GROUP BY status',
  );
  const byOutcome = query<{ outcome: string; n: number }>(
    setup,
    'SELECT outcome, count(*) AS n FROM inbound GROUP BY outcome',
  );
  const queueMs = query<{ ms: number }>(
    setup,
    "SELECT (julianday(finished_at) - julianday(created_at)) * 86400000.0 AS ms FROM outbox WHERE status = 'sent'",
  ).map((r) => r.ms);
  // Copies claimed per claim (the deliverer claims a batch, sends it with Promise.all, then claims again).
  const claims = query<{ n: number }>(
    setup,
    "SELECT count(*) AS n FROM outbox WHERE status = 'sent' GROUP BY claimed_at",
  );
  const span = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;
  const pSpan = inbound.n > 0 ? span(inbound.first, inbound.last) : 0;
  const dSpan = outbox.n > 0 ? span(outbox.first, outbox.last) : 0;
  return {
    inboundByOutcome: Object.fromEntries(byOutcome.map((r) => [r.outcome ?? 'null', r.n])),
    outboxByStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
    processing: {
      posts: inbound.n,
      firstToLastSeconds: round(pSpan, 3),
      postsPerSecond: pSpan > 0 ? round(inbound.n / pSpan) : null,
    },
    delivery: {
      copies: outbox.n,
      firstToLastSeconds: round(dSpan, 3),
      copiesPerSecond: dSpan > 0 ? round(outbox.n / dSpan) : null,
    },
    queueToSentMs: stats(queueMs),
    claims: { count: claims.length, copiesPerClaim: stats(claims.map((c) => c.n)) },
  };
}

export async function stopDaemonProcess(daemon: DaemonProcess): Promise<number | null> {
  const { child } = daemon;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  try {
    return await withTimeout(daemon.exited, 20_000, 'the daemon to exit after SIGTERM');
  } catch {
    child.kill('SIGKILL');
    await daemon.exited;
    return null;
  }
}

export async function runDaemon(
  cli: string,
  dovecot: Dovecot,
  opts: Options,
  scenario: Scenario,
  maxConnections: number,
  members: { address: string; org: string }[],
  withLatency: boolean,
) {
  const expected = scenario.posts * members.length;
  const peer = await startCountingPeer();
  const stopPeer = onCleanup('daemon SMTP peer', () => peer.stop());
  const { setup, config } = benchConfig(dovecot, peer.peer, opts, maxConnections);
  const removeSetup = onCleanup('daemon data directory', () => cleanup(setup));
  const processedBefore = new Set(await listUids(dovecot, 'Processed'));
  const membersSeconds = await importMembers(cli, setup, members);

  const savedNodeOptions = process.env.NODE_OPTIONS;
  if (opts.daemonNodeOptions) process.env.NODE_OPTIONS = `${savedNodeOptions ?? ''} ${opts.daemonNodeOptions}`.trim();
  const load = machineLoad();
  const parentCpu0 = process.cpuUsage();
  const t0 = now();
  const daemon = startDaemon(setup, cli);
  if (opts.daemonNodeOptions) {
    if (savedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = savedNodeOptions;
  }
  const stopDaemon = onCleanup('daemon', async () => {
    await stopDaemonProcess(daemon);
  });
  const pid = daemon.child.pid!;
  const sampler = rssSampler(pid);
  const died = daemon.exited.then((code): never => {
    const tail = daemon.logs
      .slice(-10)
      .map((l) => l.msg)
      .join('\n  ');
    throw new Error(`the daemon exited (code ${code}) before the run was over; last log lines:\n  ${tail}`);
  });
  died.catch(() => undefined);

  const progress = setInterval(() => {
    console.error(
      `           ... ${peer.count} of ${expected} deliveries after ${((now() - t0) / 1000).toFixed(0)} s; daemon RSS ${mb(procStatus(pid)?.rssKb ?? NaN)} MB`,
    );
  }, 15_000);
  try {
    await peer.waitForCount(expected, secondsFor(expected) * 1000, died);
  } catch (err) {
    const tl = logTimeline(daemon.logs as LogLine[], t0);
    throw new Error(`${(err as Error).message}\ndaemon log counts: ${JSON.stringify(tl.counts)}`);
  } finally {
    clearInterval(progress);
  }
  const tLast = peer.lastAt!;
  const daemonCpu = procCpuSeconds(pid);
  const parentCpu = process.cpuUsage(parentCpu0);
  const machine = load();
  sampler.take();
  const backlogHwmKb = procStatus(pid)?.hwmKb ?? sampler.state.hwmKb;
  const seconds = (tLast - t0) / 1000;

  // Everything moved out of the INBOX (the MOVE of the last batch may finish after the last copy).
  const user = dovecot.users[0]!.user;
  let inboxLeft = -1;
  let processedCount = -1;
  const moveDeadline = now() + 20_000;
  for (;;) {
    inboxLeft = (await listUids(dovecot, 'INBOX', user)).length;
    if (inboxLeft === 0 || now() > moveDeadline) break;
    await sleep(100);
  }
  // The backlog's UIDs in Processed: the next configuration moves exactly these back.
  const processedUids = (await listUids(dovecot, 'Processed', user)).filter((u) => !processedBefore.has(u));
  processedCount = processedUids.length;
  await sleep(300); // let the last markSent commits (and log lines) land before reading them
  const evidence = dbEvidence(setup);
  const timeline = logTimeline(daemon.logs as LogLine[], t0);

  const fromStarted = timeline.startedMs !== null ? (tLast - t0 - timeline.startedMs) / 1000 : null;
  const result: Record<string, unknown> = {
    maxConnections,
    config,
    membersImportSeconds: round(membersSeconds, 2),
    pid,
    deliveries: peer.count,
    duplicates: peer.duplicates,
    inboxLeftAfter: inboxLeft,
    movedToProcessed: processedCount,
    seconds: round(seconds, 3),
    postsPerSecond: round(scenario.posts / seconds),
    deliveriesPerSecond: round(peer.count / seconds),
    firstDeliveryMs: round(peer.firstAt! - t0),
    // The same, without the daemon's start-up (node, modules, database) before its STARTED line.
    secondsFromStartedLog: fromStarted !== null ? round(fromStarted, 3) : null,
    postsPerSecondFromStartedLog: fromStarted ? round(scenario.posts / fromStarted) : null,
    deliveriesPerSecondFromStartedLog: fromStarted ? round(peer.count / fromStarted) : null,
    timeline,
    // CPU used up to the last delivery: a daemon far below 1 CPU-second per second waits (on fsync, on peers).
    cpuSeconds: {
      daemon: daemonCpu !== null ? round(daemonCpu, 2) : null,
      benchProcessWithSmtpPeer: round((parentCpu.user + parentCpu.system) / 1e6, 2),
    },
    daemonCpuPerWallSecond: daemonCpu !== null ? round(daemonCpu / seconds, 3) : null,
    machine,
    evidence,
    rss: {
      backlogPeakMB: mb(backlogHwmKb),
      sampledMaxRssMB: mb(sampler.state.maxRssKb),
      atStartedMB: timeline.startedMs !== null ? sampler.at(timeline.startedMs) : null,
      atFirstDeliveryMB: sampler.at(peer.firstAt! - t0),
      samples: sampler.state.samples,
    },
  };

  if (withLatency) {
    result.latency = await latencyTest(dovecot, opts, peer, members, died);
  }

  sampler.take();
  const finalHwm = procStatus(pid)?.hwmKb ?? sampler.state.hwmKb;
  sampler.stop();
  (result.rss as Record<string, unknown>).peakMB = mb(Math.max(finalHwm, sampler.state.hwmKb));
  (result.rss as Record<string, unknown>).sampledMaxRssMB = mb(sampler.state.maxRssKb);
  // [seconds after spawn, VmRSS MB], every 200 ms.
  (result.rss as Record<string, unknown>).series = sampler.state.series;
  const exitCode = await stopDaemonProcess(daemon);
  await stopDaemon();
  result.exitCode = exitCode;
  await stopPeer();
  await removeSetup();
  return { result, processedUids };
}
