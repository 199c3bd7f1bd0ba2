/**
 * The daemon's start with nothing to do: spawn to its STARTED line, and its resident memory once
 * idle in IMAP IDLE (the INBOX empty), before any backlog is APPENDed.
 */
import type { Dovecot } from '../test/integration/harness/dovecot';
import { cleanup, startDaemon } from '../test/integration/helpers/daemon';
import { startCountingPeer } from './counting-peer';
import { benchConfig, importMembers, stopDaemonProcess } from './daemon-run';
import { mb, procStatus, rssSampler } from './measure';
import type { Options } from './options';
import { now, onCleanup, round, sleep } from './util';

export async function idleStart(
  cli: string,
  dovecot: Dovecot,
  opts: Options,
  maxConnections: number,
  members: { address: string; org: string }[],
) {
  const peer = await startCountingPeer();
  const stopPeer = onCleanup('idle-start SMTP peer', () => peer.stop());
  const { setup } = benchConfig(dovecot, peer.peer, opts, maxConnections);
  const removeSetup = onCleanup('idle-start data directory', () => cleanup(setup));
  const membersImportSeconds = await importMembers(cli, setup, members);
  // The daemon's node options (--daemon-node-options) apply to its idle start as to its runs.
  const savedNodeOptions = process.env.NODE_OPTIONS;
  if (opts.daemonNodeOptions) process.env.NODE_OPTIONS = `${savedNodeOptions ?? ''} ${opts.daemonNodeOptions}`.trim();
  const t0 = now();
  const daemon = startDaemon(setup, cli);
  if (opts.daemonNodeOptions) {
    if (savedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = savedNodeOptions;
  }
  const stopDaemon = onCleanup('idle-start daemon', async () => {
    await stopDaemonProcess(daemon);
  });
  const sampler = rssSampler(daemon.child.pid!);
  await daemon.waitForLog(/^STARTED /, 20_000);
  // When the bench process read the line (includes the pipe); the log's own time is beside it.
  const startedSeenMs = now() - t0;
  const startedLine = daemon.logs.find((l) => /^STARTED /.test(l.msg)) as { time?: string } | undefined;
  const startedLogMs = startedLine?.time ? Date.parse(startedLine.time) - t0 : null;
  // Idle: connected, in IDLE, nothing to send; then VmRSS for a second.
  await daemon.waitForLog(/^IMAP_CONNECTED /, 20_000).catch(() => undefined);
  await sleep(2000);
  const from = sampler.state.series.length;
  await sleep(1000);
  sampler.take();
  const idle = sampler.state.series.slice(from).map(([, v]) => v);
  const hwmKb = procStatus(daemon.child.pid!)?.hwmKb ?? sampler.state.hwmKb;
  sampler.stop();
  const exitCode = await stopDaemonProcess(daemon);
  await stopDaemon();
  await stopPeer();
  await removeSetup();
  return {
    members: members.length,
    membersImportSeconds: round(membersImportSeconds, 2),
    startToStartedMs: round(startedSeenMs),
    startToStartedFromLogMs: startedLogMs !== null ? round(startedLogMs) : null,
    rssAtStartedMB: sampler.at(startedSeenMs),
    idleRssMB: idle.length ? round(idle.reduce((a, b) => a + b, 0) / idle.length) : null,
    idleRssMaxMB: idle.length ? Math.max(...idle) : null,
    startPeakMB: mb(hwmKb),
    exitCode,
  };
}
