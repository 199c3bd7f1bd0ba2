/**
 * A real receiving mail host on loopback, for tests that need Authentication-Results fields
 * stamped by real software rather than written by hand:
 *
 *   sender --SMTP--> Postfix smtpd 127.0.0.1:PORT --milter--> OpenDKIM (verify) --> OpenDMARC
 *                                                    \--> virtual(8) --> one Maildir
 *   DNS: dnsmasq on a random 127.53.x.y, answering only the test domains' DKIM, DMARC and SPF
 *   records (NXDOMAIN for everything else, every query logged in DIR/dns.log).
 *
 * Every startReceivingHost() gets its own temporary directory (config, keys, queue, Maildir,
 * logs) and its own ports; nothing system-wide is configured, nothing reaches the internet.
 * Needs root (Postfix master, port 53, unshare) and the Debian packages postfix, opendkim,
 * opendmarc and dnsmasq-base (.ci/run installs them); without them it throws, naming what is
 * missing. The config text is in receiving-host-config.ts.
 *
 * Measured here (Debian 12, 2 cores, two domains): start 0.7-2.2 s, most of it generating the
 * 2048-bit keys; stop 0.36-0.48 s. Two things keep it fast: main.cf is back-dated (Postfix
 * rereads a config file younger than ~2 s until it is older, in 300 ms naps), and stop()
 * SIGKILLs the milters after a short grace (on SIGTERM they sit out libmilter's 5 s select
 * timeout). Logs while it runs: DIR/postfix.log (milter actions included), DIR/dns.log.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import nodemailer from 'nodemailer';
import { headerValue, splitMessage } from '../../../src/message/headers';
import type { RawHeaderField, TxtResolver } from '../../../src/policy/sender-auth';
import {
  opendkimConf,
  opendmarcConf,
  postfixMainCf,
  postfixMasterCf,
  POSTFIX_QUEUE_DIRS,
  testDnsData,
  txtStrings,
  type DnsRecord,
} from './receiving-host-config';
import {
  canUnshare,
  freeTcpPort,
  freeUdpPort,
  isExecutable,
  killQuietly,
  launch,
  lookupGroupOf,
  lookupId,
  randomLoopback53,
  readBanner,
  readTail,
  sleep,
  startDnsmasq,
  stopChildren,
  waitListening,
  type Child,
} from './receiving-host-processes';

export interface ReceivingHostOptions {
  /** OpenDKIM `RemoveARAll yes` (hardened host). Default no, as Debian ships it. */
  removeArAll?: boolean;
  /** Sender domains that get a fresh 2048-bit key, a DKIM, a DMARC and an SPF record. */
  domains?: string[];
  /** The DMARC record of every domain. Default "v=DMARC1; p=reject". */
  dmarcPolicy?: string;
  /** authserv-id = Postfix myhostname. Default mx.lists.example.net. */
  authservId?: string;
  /** DKIM selector. Default sel1. */
  selector?: string;
  /** Force OpenDMARC onto TestDNSData instead of the dnsmasq server. */
  testDnsData?: boolean;
}

export interface DkimKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
}

/** One DKIM signature to add; the defaults are the host's first domain and its key. */
export interface SignSpec {
  domain?: string;
  selector?: string;
  privateKeyPem?: string;
  /** Colon-separated header field names to sign (nodemailer's headerFieldNames). */
  headerFieldNames?: string;
  /** Colon-separated header field names never to sign (nodemailer's skipFields). */
  skipFields?: string;
}

export interface SendOptions {
  from: string;
  to: string | string[];
  /** Sign before sending: true = one signature with the host's first key. */
  sign?: boolean | SignSpec | SignSpec[];
  helo?: string;
}

export interface Delivered {
  file: string;
  raw: Buffer;
  /** In message order, top first, values unfolded: what the sender-auth judge takes. */
  headers: RawHeaderField[];
  queueId: string;
}

export interface ReceivingHost {
  smtpPort: number;
  authservId: string;
  /** The first domain's key. */
  dkim: DkimKey;
  keys: Map<string, DkimKey>;
  dir: string;
  maildir: string;
  /** How OpenDMARC gets its DNS: 'dnsmasq' (private resolv.conf) or 'testdnsdata'. */
  dmarcDns: 'dnsmasq' | 'testdnsdata';
  removeArAll: boolean;
  startupMs: number;
  /** The same TXT answers as the host's DNS, in the shape the daemon's mailauth check takes. */
  resolver: TxtResolver;
  /** DKIM-signs a message with nodemailer, one signature per spec, each above the last. */
  sign(raw: Buffer, specs?: SignSpec | SignSpec[]): Promise<Buffer>;
  /** Submits over SMTP; resolves with Postfix's queue id once the message is accepted. */
  send(raw: Buffer, opts: SendOptions): Promise<{ queueId: string; response: string }>;
  /** The delivered copy whose Postfix Received field names this queue id. */
  waitForDelivery(queueId: string, timeoutMs?: number): Promise<Delivered>;
  /** send() and waitForDelivery() in one. */
  deliver(raw: Buffer, opts: SendOptions): Promise<Delivered>;
  /** Stops every daemon it started, by pid, and removes the directory. Safe to call twice. */
  stop(): Promise<{ stopMs: number }>;
}

const POSTFIX_MASTER = '/usr/lib/postfix/sbin/master';
const REQUIRED = [
  { bin: '/usr/sbin/opendkim', pkg: 'opendkim' },
  { bin: '/usr/sbin/opendmarc', pkg: 'opendmarc' },
  { bin: '/usr/sbin/dnsmasq', pkg: 'dnsmasq-base' },
  { bin: POSTFIX_MASTER, pkg: 'postfix' },
  { bin: '/usr/bin/unshare', pkg: 'util-linux' },
];
const PUBLIC_SUFFIX_LIST = '/usr/share/publicsuffix/public_suffix_list.dat';
const NOT_LOCAL = '192.0.2.254';

/** Throws one message naming every missing prerequisite. */
export function checkReceivingHostPrerequisites(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('must run as root (Postfix master, port 53, unshare)');
  const missing = REQUIRED.filter((r) => !isExecutable(r.bin));
  if (missing.length > 0) {
    problems.push(
      `missing ${missing.map((m) => m.bin).join(', ')}: apt-get install --no-install-recommends ${[...new Set(missing.map((m) => m.pkg))].join(' ')} (as .ci/run does)`,
    );
  }
  for (const user of ['postfix', 'opendkim', 'opendmarc', 'nobody'])
    if (lookupId('/etc/passwd', user) === null) problems.push(`no system user ${user}`);
  if (lookupId('/etc/group', 'postdrop') === null) problems.push('no group postdrop');
  if (problems.length > 0) throw new Error(`receiving host cannot start: ${problems.join('; ')}`);
}

/**
 * The ports are picked free and then handed to the daemons, so another process of the test run
 * can take one in between; Postfix then cannot bind, and the listener found is somebody else's
 * (a reset or a foreign banner). Such a start is tried again with new ports, four times at most,
 * a little later each time.
 */
export async function startReceivingHost(options: ReceivingHostOptions = {}): Promise<ReceivingHost> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startReceivingHostOnce(options);
    } catch (err) {
      const portTaken = /ECONNRESET|EADDRINUSE|unexpected SMTP banner/.test((err as Error).message);
      if (!portTaken || attempt >= 5) throw err;
      // A machine under load (another test run beside this one) can take a while to free what it held.
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

async function startReceivingHostOnce(options: ReceivingHostOptions): Promise<ReceivingHost> {
  const t0 = Date.now();
  checkReceivingHostPrerequisites();
  const authservId = options.authservId ?? 'mx.lists.example.net';
  const selector = options.selector ?? 'sel1';
  const domains = options.domains ?? ['project.example.org'];
  const removeArAll = options.removeArAll ?? false;
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'receiving-host-')));
  // The milters (own users) and Postfix (user postfix) read their config below this directory.
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'etc'));
  const children: Child[] = [];
  const killAllNow = (): void => {
    for (const c of children) killQuietly(c.child.pid, 'SIGKILL', c.group);
  };
  process.once('exit', killAllNow);

  const stop = async (): Promise<{ stopMs: number }> => {
    const s = Date.now();
    process.removeListener('exit', killAllNow);
    await stopChildren(children.splice(0).reverse());
    fs.rmSync(dir, { recursive: true, force: true });
    return { stopMs: Date.now() - s };
  };

  try {
    // ---- keys and DNS records ----
    const keys = new Map<string, DkimKey>();
    const records: DnsRecord[] = [];
    for (const domain of domains) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      keys.set(domain, { domain, selector, privateKeyPem });
      records.push(
        { name: `${selector}._domainkey.${domain}`, strings: txtStrings(`v=DKIM1; k=rsa; p=${p}`) },
        { name: `_dmarc.${domain}`, strings: txtStrings(options.dmarcPolicy ?? 'v=DMARC1; p=reject') },
        { name: domain, strings: ['v=spf1 -all'] },
      );
    }
    const resolver = txtResolver(records);

    // ---- dnsmasq: port 53 of a random 127.53.x.y, so that a private resolv.conf can name it ----
    let dmarcDns: 'dnsmasq' | 'testdnsdata' = options.testDnsData || !canUnshare() ? 'testdnsdata' : 'dnsmasq';
    let dns: { address: string; port: number } | null = null;
    if (dmarcDns === 'dnsmasq') {
      for (let i = 0; i < 5 && !dns; i++) dns = await startDnsmasq(dir, randomLoopback53(), 53, records, children);
      if (!dns) dmarcDns = 'testdnsdata';
    }
    if (!dns) {
      dns = await startDnsmasq(dir, randomLoopback53(), await freeUdpPort(), records, children);
      if (!dns) throw new Error(`dnsmasq did not start: ${readTail(path.join(dir, 'dnsmasq.log'))}`);
    }

    // ---- milters ----
    const notLocalFile = path.join(dir, 'etc', 'not-local-hosts');
    fs.writeFileSync(notLocalFile, `${NOT_LOCAL}\n`, { mode: 0o644 });
    const [dkimPort, dmarcPort, smtpPort] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()] as [
      number,
      number,
      number,
    ];
    const dkimConf = path.join(dir, 'etc', 'opendkim.conf');
    fs.writeFileSync(
      dkimConf,
      opendkimConf({
        port: dkimPort,
        authservId,
        notLocalFile,
        removeArAll,
        nameserver: dns.port === 53 ? dns.address : `${dns.address}@${dns.port}`,
      }),
      { mode: 0o644 },
    );
    const dmarcConf = path.join(dir, 'etc', 'opendmarc.conf');
    const testDnsFile = path.join(dir, 'etc', 'dns-records');
    fs.writeFileSync(testDnsFile, testDnsData(records), { mode: 0o644 });
    fs.writeFileSync(
      dmarcConf,
      opendmarcConf({
        port: dmarcPort,
        authservId,
        notLocalFile,
        ...(fs.existsSync(PUBLIC_SUFFIX_LIST) ? { publicSuffixList: PUBLIC_SUFFIX_LIST } : {}),
        ...(dmarcDns === 'testdnsdata' ? { testDnsDataFile: testDnsFile } : {}),
      }),
      { mode: 0o644 },
    );
    launch(children, dir, 'opendkim', '/usr/sbin/opendkim', ['-f', '-x', dkimConf]);
    if (dmarcDns === 'dnsmasq') {
      // OpenDMARC has no nameserver option: a private mount namespace gets a resolv.conf naming
      // our dnsmasq; the host's file is untouched. unshare and sh exec, so the pid is OpenDMARC's.
      const resolvConf = path.join(dir, 'etc', 'resolv.conf');
      fs.writeFileSync(resolvConf, `nameserver ${dns.address}\n`, { mode: 0o644 });
      launch(children, dir, 'opendmarc', '/usr/bin/unshare', [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$1" /etc/resolv.conf && exec /usr/sbin/opendmarc -f -c "$2"',
        'sh',
        resolvConf,
        dmarcConf,
      ]);
    } else {
      launch(children, dir, 'opendmarc', '/usr/sbin/opendmarc', ['-f', '-c', dmarcConf]);
    }
    await waitListening(children, dir, 'opendkim', 'tcp', dkimPort);
    await waitListening(children, dir, 'opendmarc', 'tcp', dmarcPort);

    // ---- Maildir (virtual(8) delivers as its owner, which must have a uid >= 100) ----
    const maildir = path.join(dir, 'Maildir');
    const nobody = lookupId('/etc/passwd', 'nobody')!;
    const nogroup = lookupGroupOf('nobody') ?? nobody;
    for (const sub of ['', 'cur', 'new', 'tmp']) {
      fs.mkdirSync(path.join(maildir, sub), { recursive: true });
      fs.chownSync(path.join(maildir, sub), nobody, nogroup);
    }

    // ---- Postfix: private config and queue directories, no chroot, log to a file ----
    const pf = path.join(dir, 'postfix');
    const queueDir = path.join(dir, 'spool');
    const postfixUid = lookupId('/etc/passwd', 'postfix')!;
    const postdrop = lookupId('/etc/group', 'postdrop')!;
    fs.mkdirSync(pf);
    fs.mkdirSync(path.join(dir, 'data'));
    fs.chownSync(path.join(dir, 'data'), postfixUid, 0);
    fs.mkdirSync(queueDir, { mode: 0o755 });
    for (const d of POSTFIX_QUEUE_DIRS) {
      const p = path.join(queueDir, d.name);
      fs.mkdirSync(p);
      fs.chownSync(p, d.owner === 'postfix' ? postfixUid : 0, d.group === 'postdrop' ? postdrop : 0);
      fs.chmodSync(p, d.mode);
    }
    fs.writeFileSync(
      path.join(pf, 'main.cf'),
      postfixMainCf({
        dir,
        queueDir,
        authservId,
        maildirBase: dir,
        maildirName: 'Maildir',
        uid: nobody,
        gid: nogroup,
        milterPorts: [dkimPort, dmarcPort],
      }),
      { mode: 0o644 },
    );
    fs.writeFileSync(path.join(pf, 'master.cf'), postfixMasterCf(smtpPort), { mode: 0o644 });
    // Postfix rereads a main.cf younger than ~2 s until it is older (300 ms naps): age them.
    const past = new Date(Date.now() - 60_000);
    for (const f of ['main.cf', 'master.cf']) fs.utimesSync(path.join(pf, f), past, past);
    // master stays our child (no -w); it makes itself a process group leader, and its
    // services run in that group, so stop() can signal the group.
    launch(children, dir, 'postfix-master', POSTFIX_MASTER, ['-c', pf, '-s'], true);
    await waitListening(children, dir, 'postfix-master', 'tcp', smtpPort);
    const banner = await readBanner(smtpPort);
    if (!banner.startsWith('220 '))
      throw new Error(`unexpected SMTP banner from Postfix: ${JSON.stringify(banner)}; see ${dir}/postfix.log`);

    const dkim = keys.get(domains[0]!)!;
    const sign = (raw: Buffer, specs?: SignSpec | SignSpec[]): Promise<Buffer> =>
      signMessage(raw, [specs ?? {}].flat(), keys, dkim);
    const send = async (raw: Buffer, opts: SendOptions): Promise<{ queueId: string; response: string }> => {
      let message = raw;
      if (opts.sign) message = await sign(raw, opts.sign === true ? {} : opts.sign);
      return submit(smtpPort, message, opts);
    };
    const waitForDelivery = (queueId: string, timeoutMs = 10_000): Promise<Delivered> =>
      findDelivered(maildir, queueId, timeoutMs, dir);
    return {
      smtpPort,
      authservId,
      dkim,
      keys,
      dir,
      maildir,
      dmarcDns,
      removeArAll,
      resolver,
      startupMs: Date.now() - t0,
      sign,
      send,
      waitForDelivery,
      async deliver(raw, opts) {
        const { queueId } = await send(raw, opts);
        return waitForDelivery(queueId);
      },
      stop,
    };
  } catch (err) {
    const logs = ['postfix.log', 'opendkim.log', 'opendmarc.log', 'dnsmasq.log']
      .map((f) => `${f}: ${readTail(path.join(dir, f))}`)
      .join(' | ');
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)} [${logs}]`);
  }
}

/** The headers of a raw message as the sender-auth judge takes them. */
export function judgeHeaders(raw: Buffer): RawHeaderField[] {
  return splitMessage(raw)
    .headers.filter((h) => h.name !== '')
    .map((h) => ({ name: h.name, value: headerValue(h) }));
}

// ---------------------------------------------------------------------------------------------
// Signing and sending

async function signMessage(
  raw: Buffer,
  specs: SignSpec[],
  keys: Map<string, DkimKey>,
  first: DkimKey,
): Promise<Buffer> {
  let message = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  for (const spec of specs) {
    const domain = spec.domain ?? first.domain;
    const privateKey = spec.privateKeyPem ?? keys.get(domain)?.privateKeyPem;
    if (!privateKey)
      throw new Error(`no DKIM key for ${domain}: give privateKeyPem or start the host with that domain`);
    const signer = nodemailer.createTransport({
      streamTransport: true,
      buffer: true,
      newline: 'windows',
      dkim: {
        domainName: domain,
        keySelector: spec.selector ?? first.selector,
        privateKey,
        ...(spec.headerFieldNames ? { headerFieldNames: spec.headerFieldNames } : {}),
        ...(spec.skipFields ? { skipFields: spec.skipFields } : {}),
      },
    });
    const info = await signer.sendMail({
      raw: Buffer.from(message, 'latin1'),
      envelope: { from: 'signer@invalid', to: ['signer@invalid'] },
    });
    message = (info.message as Buffer).toString('latin1');
  }
  return Buffer.from(message, 'latin1');
}

async function submit(port: number, raw: Buffer, opts: SendOptions): Promise<{ queueId: string; response: string }> {
  const smtp = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    name: opts.helo ?? 'sender.project.example.org',
  });
  try {
    const crlf = Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const info = await smtp.sendMail({ raw: crlf, envelope: { from: opts.from, to: [opts.to].flat() } });
    const queueId = /queued as ([0-9A-Za-z]+)/.exec(info.response)?.[1];
    if (!queueId) throw new Error(`Postfix accepted the message without a queue id: ${info.response}`);
    return { queueId, response: info.response };
  } finally {
    smtp.close();
  }
}

async function findDelivered(maildir: string, queueId: string, timeoutMs: number, dir: string): Promise<Delivered> {
  const deadline = Date.now() + timeoutMs;
  const idPattern = new RegExp(`\\bid ${queueId}\\b`);
  for (;;) {
    for (const name of fs.readdirSync(path.join(maildir, 'new'))) {
      const file = path.join(maildir, 'new', name);
      const raw = fs.readFileSync(file);
      const headers = judgeHeaders(raw);
      const ours = headers.find(
        (h) => h.name.toLowerCase() === 'received' && / \(Postfix\) with E?SMTP /.test(h.value),
      );
      if (ours && idPattern.test(ours.value)) return { file, raw, headers, queueId };
    }
    if (Date.now() > deadline)
      throw new Error(
        `message ${queueId} not delivered into ${maildir} within ${timeoutMs} ms: ${readTail(path.join(dir, 'postfix.log'))}`,
      );
    await sleep(25);
  }
}

function txtResolver(records: DnsRecord[]): TxtResolver {
  return async (name: string, rrtype: string) => {
    const found = records.filter((r) => r.name.toLowerCase() === name.toLowerCase().replace(/\.$/, ''));
    if (rrtype !== 'TXT' || found.length === 0)
      throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return found.map((r) => r.strings);
  };
}
