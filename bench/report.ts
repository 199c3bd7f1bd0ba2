/** The benchmark's JSON report: written as it is built, any shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * The report: the summary printed at the end (the JSON is written by relay.ts).
 */

export function printSummary(r: Json): void {
  const lines: string[] = [];
  lines.push('');
  lines.push(
    `relay benchmark, production path (authenticated posts required, From rewritten, VERP; members may open threads)`,
  );
  lines.push(
    `node ${r.node}, ${r.cpus} cpus (${r.cpuModel}), git ${String(r.git.commit).slice(0, 12)}${r.git.dirty.length ? ' (+' + r.git.dirty.length + ' changed files)' : ''}, dovecot ${r.versions.dovecot} mail_fsync=${r.params.dovecotFsync}`,
  );
  if (r.daemonBuild) {
    const b = r.daemonBuild;
    lines.push(
      `daemon built from ${b.from === 'tree' ? 'the working tree' : b.from} at commit ${String(b.commit).slice(0, 12)}${b.srcChanges.length ? `, src/ changed: ${b.srcChanges.map((c: string) => c.trim()).join(', ')} (diff sha1 ${String(b.srcDiffSha1).slice(0, 12)}${b.srcSteadyDuringBuild ? '' : ', CHANGED DURING THE BUILD'})` : ', src/ as committed'}`,
    );
  }
  if (r.disk)
    lines.push(
      `disk: fdatasync ${r.disk.fdatasyncMs} ms; SQLite WAL autocommits/s: ${r.disk.sqliteAutocommitFullPerSecond} with synchronous=FULL, ${r.disk.sqliteAutocommitNormalPerSecond} with NORMAL`,
    );
  for (const sc of r.scenarios as Json[]) {
    lines.push('');
    lines.push(
      `scenario ${sc.name}: ${sc.posts} posts x ${sc.members} members = ${sc.deliveries} deliveries, ~${sc.postBytesMeasured} B/post`,
    );
    if (sc.idleStart) {
      const s = sc.idleStart;
      lines.push(
        `  start (empty INBOX): STARTED ${s.startToStartedMs} ms after spawn (${s.startToStartedFromLogMs} ms by its log time); idle RSS ${s.idleRssMB} MB (max ${s.idleRssMaxMB}); peak while starting ${s.startPeakMB} MB; members import of ${s.members}: ${s.membersImportSeconds} s`,
      );
    }
    if (sc.backlog)
      lines.push(
        `  backlog APPEND (set-up, mail_fsync=never): ${sc.backlog.seconds} s (${sc.backlog.messagesPerSecond} msg/s)`,
      );
    for (const run of (sc.runs ?? []) as Json[]) runLines(lines, run);
  }
  lines.push('');
  console.log(lines.join('\n'));
}

function runLines(lines: string[], run: Json): void {
  lines.push(`  maxConnections ${run.maxConnections}:`);
  const d = run.daemon;
  if (run.bare) {
    const b = run.bare;
    lines.push(
      `    bare I/O   ${b.seconds.toFixed(2).padStart(7)} s  ${String(b.postsPerSecond).padStart(7)} posts/s  ${String(b.deliveriesPerSecond).padStart(8)} deliveries/s   (fetch ${b.fetched} in ${b.fetchMs} ms = ${b.fetchMessagesPerSecond} msg/s; cpu worker ${b.cpuSeconds.worker} s, peer ${b.cpuSeconds.benchProcessWithSmtpPeer} s; machine busy ${b.machine.busyFraction}, load ${b.machine.loadAverage1m})`,
    );
  }
  if (!d) return;
  lines.push(
    `    daemon     ${d.seconds.toFixed(2).padStart(7)} s  ${String(d.postsPerSecond).padStart(7)} posts/s  ${String(d.deliveriesPerSecond).padStart(8)} deliveries/s   (from spawn; first copy at ${d.firstDeliveryMs} ms; cpu daemon ${d.cpuSeconds.daemon} s, peer ${d.cpuSeconds.benchProcessWithSmtpPeer} s; machine busy ${d.machine.busyFraction}, load ${d.machine.loadAverage1m})`,
  );
  if (d.secondsFromStartedLog !== null) {
    lines.push(
      `    daemon*    ${d.secondsFromStartedLog.toFixed(2).padStart(7)} s  ${String(d.postsPerSecondFromStartedLog).padStart(7)} posts/s  ${String(d.deliveriesPerSecondFromStartedLog).padStart(8)} deliveries/s   (* from its STARTED line, at ${d.timeline.startedMs} ms)`,
    );
  }
  if (run.ratio)
    lines.push(
      `    daemon / bare: ${run.ratio.fromSpawn} (from spawn), ${run.ratio.fromStartedLog ?? '-'} (from STARTED)`,
    );
  const ev = d.evidence;
  lines.push(
    `    inside: posts processed ${ev.processing.postsPerSecond}/s over ${ev.processing.firstToLastSeconds} s; copies sent ${ev.delivery.copiesPerSecond}/s over ${ev.delivery.firstToLastSeconds} s; queue->sent p50 ${ev.queueToSentMs.p50} ms p95 ${ev.queueToSentMs.p95} ms; ${ev.claims.count} claims of p50 ${ev.claims.copiesPerClaim.p50} copies; inbound ${JSON.stringify(ev.inboundByOutcome)}`,
  );
  lines.push(
    `    daemon RSS: peak (VmHWM) ${d.rss.backlogPeakMB} MB after the backlog, ${d.rss.peakMB} MB overall; ${d.rss.atStartedMB} MB at STARTED, ${d.rss.atFirstDeliveryMB} MB at the first delivery; members import ${d.membersImportSeconds} s; exit ${d.exitCode}; duplicates ${d.duplicates}; INBOX left ${d.inboxLeftAfter}`,
  );
  if (d.latency) {
    const l = d.latency;
    lines.push(
      `    IDLE latency, ${l.posts} posts one at a time: APPEND done -> first relayed copy p50 ${l.appendToFirstCopyMs.p50} ms, p95 ${l.appendToFirstCopyMs.p95} ms (min ${l.appendToFirstCopyMs.min}, max ${l.appendToFirstCopyMs.max})`,
    );
    lines.push(
      `      Dovecot's IDLE floor (plain client, same APPENDs): p50 ${l.dovecotIdleFloorMs.p50} ms, p95 ${l.dovecotIdleFloorMs.p95} ms; daemon after EXISTS: p50 ${l.daemonAfterExistsMs.p50} ms, p95 ${l.daemonAfterExistsMs.p95} ms`,
    );
  }
}
