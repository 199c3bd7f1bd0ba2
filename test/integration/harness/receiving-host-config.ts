/**
 * The configuration files of the receiving host harness (receiving-host.ts), as text. Pure: the
 * harness decides paths, ports and addresses and writes what these functions return.
 *
 * Facts behind the settings (OpenDKIM 2.11.0~beta2, OpenDMARC 1.4.2, Postfix 3.7, dnsmasq 2.90
 * on Debian 12):
 *  - OpenDKIM counts 127.0.0.1 among its InternalHosts (mail it signs instead of verifying) and
 *    OpenDMARC ignores 127.0.0.1 (IgnoreHosts); both lists point at a TEST-NET address instead.
 *  - OpenDKIM resolves with libunbound: `Nameservers ADDR` (or `ADDR@PORT`) reaches our dnsmasq.
 *    OpenDMARC has no such option; it reads /etc/resolv.conf (port 53 only), which the harness
 *    bind-mounts in a private mount namespace, or it is fed TXT answers by `TestDNSData`.
 *  - OpenDKIM deletes an incoming Authentication-Results only when it carries our authserv-id
 *    and a dkim result; with `RemoveARAll yes`, every one carrying our authserv-id.
 *  - OpenDMARC never deletes, and trusts the results of every field with a TrustedAuthservID.
 */

export interface DnsRecord {
  name: string;
  /** The record's character-strings, in order, each at most 255 bytes. */
  strings: string[];
}

/** A TXT record value cut into character-strings of at most 250 bytes. */
export function txtStrings(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 250) out.push(value.slice(i, i + 250));
  return out.length > 0 ? out : [''];
}

/** Authoritative answers for the records only; every other name is NXDOMAIN; every query logged. */
export function dnsmasqConf(o: { address: string; port: number; dir: string; records: DnsRecord[] }): string {
  const lines = [
    `port=${o.port}`,
    `listen-address=${o.address}`,
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    'no-poll',
    'local=/#/',
    'log-queries',
    `log-facility=${o.dir}/dns.log`,
    'user=nobody',
  ];
  for (const r of o.records) lines.push(`txt-record=${r.name},${r.strings.map((s) => `"${s}"`).join(',')}`);
  return lines.join('\n') + '\n';
}

/** OpenDMARC's TestDNSData: one "NAME VALUE" line per record. */
export function testDnsData(records: DnsRecord[]): string {
  return records.map((r) => `${r.name} ${r.strings.join('')}\n`).join('');
}

export function opendkimConf(o: {
  port: number;
  authservId: string;
  nameserver: string;
  notLocalFile: string;
  removeArAll: boolean;
}): string {
  return (
    [
      'Mode                 v',
      `Socket               inet:${o.port}@127.0.0.1`,
      `AuthservID           ${o.authservId}`,
      `Nameservers          ${o.nameserver}`,
      `InternalHosts        ${o.notLocalFile}`,
      'AlwaysAddARHeader    yes',
      `RemoveARAll          ${o.removeArAll ? 'yes' : 'no'}`,
      'UserID               opendkim:opendkim',
      'Background           no',
      'Syslog               no',
    ].join('\n') + '\n'
  );
}

export function opendmarcConf(o: {
  port: number;
  authservId: string;
  notLocalFile: string;
  publicSuffixList?: string;
  testDnsDataFile?: string;
}): string {
  const lines = [
    `Socket               inet:${o.port}@127.0.0.1`,
    `AuthservID           ${o.authservId}`,
    `TrustedAuthservIDs   ${o.authservId}`,
    `IgnoreHosts          ${o.notLocalFile}`,
    // libspf2 answers pass for any loopback client: with SPF out, DMARC rests on DKIM alone.
    'SPFSelfValidate      false',
    'RejectFailures       false',
    'FailureReports       false',
    'UserID               opendmarc:opendmarc',
    'Background           false',
    'Syslog               false',
  ];
  if (o.publicSuffixList) lines.push(`PublicSuffixList     ${o.publicSuffixList}`);
  if (o.testDnsDataFile) lines.push(`TestDNSData          ${o.testDnsDataFile}`);
  return lines.join('\n') + '\n';
}

/** Every domain and every recipient is ours and goes into the one Maildir. */
export function postfixMainCf(o: {
  dir: string;
  queueDir: string;
  authservId: string;
  maildirBase: string;
  maildirName: string;
  uid: number;
  gid: number;
  milterPorts: number[];
}): string {
  return (
    [
      'compatibility_level = 3.6',
      `queue_directory = ${o.queueDir}`,
      `data_directory = ${o.dir}/data`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      `maillog_file = ${o.dir}/postfix.log`,
      `maillog_file_prefixes = ${o.dir}`,
      `myhostname = ${o.authservId}`,
      `mydomain = ${o.authservId.replace(/^[^.]*\./, '')}`,
      'myorigin = $myhostname',
      'mydestination =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      'smtpd_banner = $myhostname ESMTP',
      'smtpd_peername_lookup = no',
      'smtp_dns_support_level = disabled',
      'biff = no',
      'append_dot_mydomain = no',
      'alias_maps =',
      'alias_database =',
      'local_recipient_maps =',
      'virtual_mailbox_domains = static:all',
      `virtual_mailbox_base = ${o.maildirBase}`,
      `virtual_mailbox_maps = static:${o.maildirName}/`,
      `virtual_uid_maps = static:${o.uid}`,
      `virtual_gid_maps = static:${o.gid}`,
      'virtual_minimum_uid = 100',
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      `smtpd_milters = ${o.milterPorts.map((p) => `inet:127.0.0.1:${p}`).join(', ')}`,
      'non_smtpd_milters = $smtpd_milters',
      // A milter that does not answer must not let mail through unjudged.
      'milter_default_action = tempfail',
    ].join('\n') + '\n'
  );
}

export function postfixMasterCf(smtpPort: number): string {
  return (
    [
      `127.0.0.1:${smtpPort} inet n - n - - smtpd`,
      'pickup     unix  n - n 60 1 pickup',
      'cleanup    unix  n - n -  0 cleanup',
      'qmgr       unix  n - n 300 1 qmgr',
      'rewrite    unix  - - n -  - trivial-rewrite',
      'bounce     unix  - - n -  0 bounce',
      'defer      unix  - - n -  0 bounce',
      'trace      unix  - - n -  0 bounce',
      'verify     unix  - - n -  1 verify',
      'flush      unix  n - n 1000? 0 flush',
      'proxymap   unix  - - n -  - proxymap',
      'proxywrite unix  - - n -  1 proxymap',
      'smtp       unix  - - n -  - smtp',
      'relay      unix  - - n -  - smtp',
      'showq      unix  n - n -  - showq',
      'error      unix  - - n -  - error',
      'retry      unix  - - n -  - error',
      'discard    unix  - - n -  - discard',
      'virtual    unix  - n n -  - virtual',
      'anvil      unix  - - n -  1 anvil',
      'scache     unix  - - n -  1 scache',
      'postlog    unix-dgram n - n - 1 postlogd',
    ].join('\n') + '\n'
  );
}

/** The queue tree `postfix check` would create (it takes ~3 s); master needs it in place. */
export const POSTFIX_QUEUE_DIRS: Array<{
  name: string;
  owner: 'postfix' | 'root';
  group: 'root' | 'postdrop';
  mode: number;
}> = [
  ...['active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming', 'private', 'saved', 'trace'].map(
    (name) => ({ name, owner: 'postfix' as const, group: 'root' as const, mode: 0o700 }),
  ),
  { name: 'maildrop', owner: 'postfix', group: 'postdrop', mode: 0o730 },
  { name: 'public', owner: 'postfix', group: 'postdrop', mode: 0o710 },
  { name: 'pid', owner: 'root', group: 'root', mode: 0o755 },
];
