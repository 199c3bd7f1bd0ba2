/**
 * Bare I/O path, the reference: a worker process (bench/bare-worker.ts), so that like the daemon
 * it does not share its event loop with the SMTP peer; imapflow and a nodemailer pool, no logic.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { Dovecot } from '../test/integration/harness/dovecot';
import { startCountingPeer } from './counting-peer';
import { machineLoad } from './measure';
import { type Scenario, secondsFor } from './scenarios';
import { now, onCleanup, round, withTimeout } from './util';

interface BareParams {
  imap: { host: string; port: number; user: string; pass: string; mailbox: string };
  smtp: { host: string; port: number; maxConnections: number };
  envelopeFrom: string;
  recipients: string[];
  /** Sends kept in flight at once (the pool itself runs maxConnections of them). */
  window: number;
}

interface BareReport {
  connectMs: number;
  fetchMs: number;
  fetched: number;
  bytes: number;
  sendMs: number;
  sent: number;
  errors: number;
  firstError?: string;
  cpuSeconds: number;
}

export async function bareWorker(): Promise<void> {
  const p = JSON.parse(process.env.BENCH_BARE ?? '') as BareParams;
  const send = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
  send({ ready: true });
  await new Promise<void>((resolve) => {
    process.stdin.once('data', () => resolve());
  });
  const t0 = now();
  const cpu0 = process.cpuUsage();
  const client = new ImapFlow({
    host: p.imap.host,
    port: p.imap.port,
    secure: false,
    auth: { user: p.imap.user, pass: p.imap.pass },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  await client.mailboxOpen(p.imap.mailbox, { readOnly: true });
  const t1 = now();
  const sources: Buffer[] = [];
  let bytes = 0;
  // One UID FETCH of the whole range.
  for await (const m of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
    if (m.source) {
      sources.push(m.source);
      bytes += m.source.length;
    }
  }
  const t2 = now();
  void client.logout().catch(() => client.close());

  const transporter = nodemailer.createTransport({
    pool: true,
    host: p.smtp.host,
    port: p.smtp.port,
    secure: false,
    maxConnections: p.smtp.maxConnections,
    maxMessages: Infinity,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const jobs: { raw: Buffer; to: string }[] = [];
  for (const raw of sources) for (const to of p.recipients) jobs.push({ raw, to });
  let next = 0;
  let sent = 0;
  let errors = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      try {
        await transporter.sendMail({ envelope: { from: p.envelopeFrom, to: [job.to] }, raw: job.raw });
        sent += 1;
      } catch (err) {
        errors += 1;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, p.window) }, lane));
  const t3 = now();
  transporter.close();
  const cpu = process.cpuUsage(cpu0);
  const report: BareReport = {
    connectMs: t1 - t0,
    fetchMs: t2 - t1,
    fetched: sources.length,
    bytes,
    sendMs: t3 - t2,
    sent,
    errors,
    firstError,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  send({ report });
}

export async function runBare(
  dovecot: Dovecot,
  scenario: Scenario,
  maxConnections: number,
  envelopeFrom: string,
  recipients: string[],
) {
  const expected = scenario.posts * recipients.length;
  const peer = await startCountingPeer();
  const stopPeer = onCleanup('bare SMTP peer', () => peer.stop());
  const user = dovecot.users[0]!;
  const params: BareParams = {
    imap: { host: dovecot.host, port: dovecot.port, user: user.user, pass: user.password, mailbox: 'INBOX' },
    smtp: { host: peer.peer.host, port: peer.peer.port, maxConnections },
    envelopeFrom,
    recipients,
    window: 256,
  };
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'bare-worker.ts')], {
    env: { ...process.env, BENCH_BARE: JSON.stringify(params) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stopChild = onCleanup('bare worker', async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const lines: Record<string, unknown>[] = [];
  let lineWaiter: (() => void) | null = null;
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        /* ignore */
      }
      lineWaiter?.();
    }
  });
  const died = exited.then((code): never => {
    throw new Error(`bare worker exited (code ${code}) early`);
  });
  died.catch(() => undefined);
  const nextLine = async (key: string, timeoutMs: number) => {
    const find = () => lines.find((l) => key in l);
    while (!find()) {
      await withTimeout(
        Promise.race([
          new Promise<void>((r) => {
            lineWaiter = r;
          }),
          died,
        ]),
        timeoutMs,
        `bare worker's ${key}`,
      );
    }
    return find()!;
  };
  await nextLine('ready', 30_000);
  const load = machineLoad();
  const parentCpu0 = process.cpuUsage();
  const t0 = now();
  child.stdin!.write('go\n');
  await peer.waitForCount(expected, secondsFor(expected) * 1000, died);
  const tLast = peer.lastAt!;
  const parentCpu = process.cpuUsage(parentCpu0);
  const machine = load();
  const { report } = (await nextLine('report', 60_000)) as { report: BareReport };
  const code = await exited;
  await stopChild();
  await stopPeer();
  if (report.errors > 0) throw new Error(`bare path: ${report.errors} sends failed: ${report.firstError}`);
  const seconds = (tLast - t0) / 1000;
  return {
    maxConnections,
    workerExit: code,
    fetched: report.fetched,
    fetchedBytes: report.bytes,
    connectMs: round(report.connectMs),
    fetchMs: round(report.fetchMs),
    fetchMessagesPerSecond: round(report.fetched / (report.fetchMs / 1000)),
    sendMs: round(report.sendMs),
    deliveries: peer.count,
    duplicates: peer.duplicates,
    firstDeliveryMs: round(peer.firstAt! - t0),
    seconds: round(seconds, 3),
    postsPerSecond: round(scenario.posts / seconds),
    deliveriesPerSecond: round(peer.count / seconds),
    cpuSeconds: {
      worker: round(report.cpuSeconds, 2),
      benchProcessWithSmtpPeer: round((parentCpu.user + parentCpu.system) / 1e6, 2),
    },
    machine,
  };
}
