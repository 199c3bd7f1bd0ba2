/**
 * Configuration: one YAML file, secrets also from the environment, validated once at start.
 * A bad or missing key stops the program with one line that names the key and what was expected.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { AppError } from './errors';
import { domainOf, localPartOf } from './message/address';
import { shipped } from './paths';
import { DEFAULT_CRITERIA } from './policy/criteria';
import { validate as cronValidate } from 'node-cron';

const email = z.email({ error: 'expected an email address such as list@example.org' });
const port = z.number({ error: 'expected a port number' }).int().min(1).max(65535);
const seconds = z.number({ error: 'expected a number of seconds' }).positive();

const imapSchema = z.strictObject({
  host: z.string().min(1),
  port,
  secure: z.boolean().default(false),
  user: z.string().min(1),
  password: z.string().nullable().default(null),
  mailbox: z.string().min(1).default('INBOX'),
  processedMailbox: z.string().min(1).default('Processed'),
  quarantineMailbox: z.string().min(1).default('Quarantine'),
  pollSeconds: seconds.default(60),
  idle: z.boolean().default(true),
  /** How many messages one FETCH takes; bounds memory on a large backlog. */
  batchSize: z.number().int().min(1).max(5000).default(200),
});

const smtpSchema = z.strictObject({
  host: z.string().min(1),
  port,
  secure: z.boolean().default(false),
  user: z.string().nullable().default(null),
  password: z.string().nullable().default(null),
  maxConnections: z.number().int().min(1).max(100).default(5),
});

const retrySchema = z.strictObject({
  firstSeconds: seconds.default(60),
  maxSeconds: seconds.default(3600),
  giveUpHours: z.number().positive().default(72),
});

const domain = z
  .string()
  .min(1)
  .transform((d) => d.trim().toLowerCase().replace(/\.$/, ''));
const cron = z.string().refine((v) => cronValidate(v), {
  error: 'expected a cron expression such as "* * * * *" (minute hour day month weekday, optionally seconds first)',
});

const policySchema = z.strictObject({
  /** The membership criteria, in order; answers are keyed by 1-based position. Default: the policy document's five. */
  criteria: z.array(z.string().min(1)).min(1).default(DEFAULT_CRITERIA),
  /** Which criterion asks for the alias, and which for accepting the embargo policy (1-based). */
  aliasCriterion: z.number().int().min(1).default(1),
  embargoCriterion: z.number().int().min(1).default(5),
  /** How long a token in our mails stays valid. */
  tokenDays: z.number().positive().default(3),
  /** A request with no moderator decision this long is reminded to the moderators, once; its applicant is told it is still open. */
  requestReminderDays: z.number().min(1).default(3),
  /** ...and this long, escalated to list.escalation (when set), once. */
  requestEscalationDays: z.number().positive().default(7),
  /** A text file with the embargo policy sent in the welcome mail; default config/embargo-policy.txt. */
  embargoPolicyFile: z.string().min(1).nullable().default(null),
  /** May members open threads with a new post? If not (the default), such posts wait for a moderator. */
  membersMayOpenThreads: z.boolean().default(false),
  /** Held posts expire after this, with a notice to the moderators. */
  holdDays: z.number().positive().default(14),
  /** Messages with more MIME parts than this are held unparsed (each part is a Content-Type header). */
  maxMimeParts: z.number().int().positive().default(100),
  /** Larger messages are held unparsed. */
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(5 * 1024 * 1024),
  /** Bounces: a member's score reaches this (one per day of permanent bounces) and it is reported unreachable. */
  bounceThreshold: z.number().positive().default(5),
  /** A bounce after this many quiet days starts the score again. */
  bounceDecayDays: z.number().positive().default(7),
  /** Alias liveness: every member alias is probed this often, and must answer within the grace. */
  probeDays: z.number().positive().default(180),
  probeGraceDays: z.number().positive().default(14),
  /** Automatic answers (acknowledgements, notices) any one address gets per day, at most. */
  autoRepliesPerDay: z.number().int().min(0).default(10),
  /** Disclosures: the longest embargo, acknowledgements, the lift reminder. */
  maxEmbargoDays: z.number().positive().default(14),
  ackHours: z.number().positive().default(72),
  liftReminderHours: z.number().positive().default(24),
  /** Leaks: the retrospective's due date, and when an organization is proposed for removal. */
  retrospectiveDays: z.number().positive().default(7),
  leakLimit: z.number().int().min(1).default(2),
  leakWindowDays: z.number().positive().default(365),
  /**
   * OpenPGP for thread mail to members (issue 12): off, never encrypted; opportunistic, encrypted
   * to each member with a usable key, in the clear to the others; required, members without a
   * usable key get a notice that a disclosure exists, never its text.
   */
  encryption: z.enum(['off', 'opportunistic', 'required']).default('opportunistic'),
  /** Members and moderators are warned this many days before their key expires; 0: never. */
  keyExpiryWarnDays: z.number().min(0).default(30),
  alias: z
    .strictObject({
      allowDomains: z.array(domain).default([]),
      denyDomains: z.array(domain).default([]),
      organizationDomains: z.record(z.string(), z.array(domain)).default({}),
    })
    .default({ allowDomains: [], denyDomains: [], organizationDomains: {} }),
});

const relaySchema = z.strictObject({
  /**
   * always: relayed posts are From "Name via List <list address>" (the author in X-Original-From),
   * so that members' hosts enforcing the author's DMARC policy accept them; dmarc: only for
   * authors whose domain publishes p=quarantine or p=reject (looked up in DNS); never: From kept.
   */
  fromRewrite: z.enum(['always', 'dmarc', 'never']).default('always'),
  /** DKIM-sign everything we send with the list's key (recommended with fromRewrite: always). */
  dkim: z
    .strictObject({ domainName: z.string().min(1), keySelector: z.string().min(1), privateKeyFile: z.string().min(1) })
    .nullable()
    .default(null),
});

const securitySchema = z.strictObject({
  /** authserv-ids of the receiving hosts whose Authentication-Results headers are believed. */
  trustedAuthservIds: z.array(domain).default([]),
  /**
   * How many Received headers may stand above the trusted Authentication-Results: 0 when the
   * receiving host writes its results on top; 1 when final delivery (LMTP) adds its own Received.
   */
  maxReceivedAbove: z.number().int().min(0).max(5).default(0),
  /** Verify DKIM and DMARC ourselves (mailauth, with DNS) when no trusted header says pass. */
  verifyDkim: z.boolean().default(true),
  /** Relay nothing to the members unless its sender is authenticated like a moderator's keyword. */
  requireAuthenticatedPosts: z.boolean().default(true),
});

const scheduleSchema = z.strictObject({
  /** Lapses unanswered confirmations and expired requests. */
  expiry: cron.default('* * * * *'),
  /** Lift reminders and lifts at the embargo end. */
  embargo: cron.default('* * * * *'),
  /** Reminders to members who have not acknowledged a disclosure. */
  receipts: cron.default('*/5 * * * *'),
  /** Reminders of retrospectives past their due date. */
  retrospectives: cron.default('0 * * * *'),
  /** Liveness probes of member aliases that are due. */
  probes: cron.default('0 3 * * *'),
});

export const configSchema = z.strictObject({
  list: z.strictObject({
    name: z.string().min(1),
    address: email,
    requestsAddress: email,
    bounceAddress: email.optional(),
    moderators: z.array(email).min(1, { error: 'expected at least one moderator address' }),
    /** Who hears of a request left undecided for policy.requestEscalationDays (e.g. the project's steering committee). Optional. */
    escalation: email.optional(),
  }),
  dataDir: z.string().min(1),
  inbound: z
    .strictObject({ imap: imapSchema.optional(), maildir: z.string().min(1).optional() })
    .refine((v) => (v.imap === undefined) !== (v.maildir === undefined), {
      error: 'expected exactly one of inbound.imap or inbound.maildir',
    }),
  outbound: z
    .strictObject({
      smtp: smtpSchema.optional(),
      directory: z.string().min(1).optional(),
      retry: retrySchema.default({ firstSeconds: 60, maxSeconds: 3600, giveUpHours: 72 }),
      pollSeconds: seconds.default(5),
    })
    .refine((v) => (v.smtp === undefined) !== (v.directory === undefined), {
      error: 'expected exactly one of outbound.smtp or outbound.directory',
    }),
  policy: policySchema.default(() => policySchema.parse({})),
  security: securitySchema.default(() => securitySchema.parse({})),
  relay: relaySchema.default(() => relaySchema.parse({})),
  /** Optional local HTTP endpoint with /healthz and /metrics; off unless set. */
  http: z
    .strictObject({
      listen: z
        .strictObject({ host: z.string().min(1).default('127.0.0.1'), port })
        .nullable()
        .default(null),
    })
    .default({ listen: null }),
  /** The moderators' web console (src/console/); off unless set, loopback unless allowRemote. */
  console: z
    .strictObject({
      listen: z
        .strictObject({ host: z.string().min(1).default('127.0.0.1'), port })
        .nullable()
        .default(null),
      allowRemote: z.boolean().default(false),
      sessionHours: z
        .number()
        .positive()
        .max(24 * 30)
        .default(12),
      /** The origin browsers use behind a reverse proxy (https://console.example.org): an allowed Host and Origin. */
      publicOrigin: z.string().min(1).nullable().default(null),
      /** Mark the session cookie Secure; null: when publicOrigin is https or listen.host is beyond loopback. */
      secureCookies: z.boolean().nullable().default(null),
    })
    .default({ listen: null, allowRemote: false, sessionHours: 12, publicOrigin: null, secureCookies: null }),
  /** The list's own OpenPGP key (<dataDir>/openpgp/list-secret.asc): made at the daemon's first start when enabled. */
  openpgp: z.strictObject({ enabled: z.boolean().default(false) }).default({ enabled: false }),
  schedule: scheduleSchema.default(() => scheduleSchema.parse({})),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .default({ level: 'info', format: 'auto' }),
});

export type Config = z.infer<typeof configSchema>;
export type ImapConfig = z.infer<typeof imapSchema>;
export type SmtpConfig = z.infer<typeof smtpSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or 'embedded default'. */
  source: string;
  embedded: boolean;
}

/** config/default.yaml ships with the package and is the embedded default. */
export const DEFAULT_CONFIG_FILE = shipped('config', 'default.yaml');

/** Secrets may come from the environment instead of the file. */
// The raw YAML before validation: any shape at all, which zod checks right after.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RawConfig = Record<string, any>;

const SECRET_ENV: { env: string; apply: (raw: RawConfig, value: string) => void }[] = [
  {
    env: 'EMBARGO_LIST_IMAP_PASSWORD',
    apply: (raw, v) => {
      if (raw.inbound?.imap) raw.inbound.imap.password = v;
    },
  },
  {
    env: 'EMBARGO_LIST_SMTP_PASSWORD',
    apply: (raw, v) => {
      if (raw.outbound?.smtp) raw.outbound.smtp.password = v;
    },
  },
];

export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const chosen = file ?? env.EMBARGO_LIST_CONFIG;
  const embedded = chosen === undefined || chosen === '';
  const source = embedded ? DEFAULT_CONFIG_FILE : path.resolve(chosen);
  let text: string;
  try {
    text = fs.readFileSync(source, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_UNREADABLE';
    throw new AppError(code, `config file ${source} cannot be read: ${(err as Error).message}`);
  }
  const config = parseConfig(text, source, env);
  if (embedded) {
    // The embedded default is a local trial: a Maildir and .eml files, no real mail in or out, no
    // receiving host to authenticate senders. Posts are relayed unauthenticated there, and only
    // there; a configuration file gets the secure values of config/default.yaml.
    config.security.requireAuthenticatedPosts = false;
    config.security.verifyDkim = false;
    config.policy.membersMayOpenThreads = true;
  }
  const policyFile = config.policy.embargoPolicyFile;
  if (policyFile !== null) {
    try {
      fs.accessSync(path.resolve(policyFile), fs.constants.R_OK);
    } catch {
      throw new AppError(
        'CONFIG_INVALID',
        `${source}: policy.embargoPolicyFile: expected a readable text file, but ${path.resolve(policyFile)} cannot be read`,
      );
    }
  }
  return { config, source: embedded ? 'embedded default' : source, embedded };
}

export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = {}): Config {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AppError(
      'CONFIG_INVALID',
      `${source}: expected a YAML mapping with the keys list, dataDir, inbound, outbound`,
    );
  }
  for (const secret of SECRET_ENV) {
    const value = env[secret.env];
    if (value !== undefined && value !== '') secret.apply(raw as RawConfig, value);
  }
  const result = configSchema.safeParse(raw);
  if (result.success) checkCriteria(result.data, source);
  if (!result.success) {
    // A misspelt key also makes the right one "missing": name the misspelling, the cause.
    const issues = result.error.issues;
    const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
    const key = issueKey(issue);
    throw new AppError('CONFIG_INVALID', `${source}: ${key}: ${issueText(issue)}`);
  }
  return result.data;
}

/** Per-member bounce addresses add "+" and a 16-character token to the local part (at most 64). */
function checkBounceAddress(config: Config, source: string): void {
  const local = localPartOf(bounceAddress(config));
  if (local.length > 47) {
    throw new AppError(
      'CONFIG_INVALID',
      `${source}: ${config.list.bounceAddress ? 'list.bounceAddress' : 'list.address'}: expected a bounce address whose local part has at most 47 characters (it gets "+" and a 16-character token per member), got ${local.length}`,
    );
  }
}

function checkCriteria(config: Config, source: string): void {
  checkBounceAddress(config, source);
  checkConsoleHost(config, source);
  const n = config.policy.criteria.length;
  for (const key of ['aliasCriterion', 'embargoCriterion'] as const) {
    if (config.policy[key] > n)
      throw new AppError('CONFIG_INVALID', `${source}: policy.${key}: expected a criterion number from 1 to ${n}`);
  }
}

/** Loopback: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Whether the console's session cookie is marked Secure: console.secureCookies when set, else
 * when console.publicOrigin is https or console.listen.host is beyond loopback.
 */
export function consoleSecureCookies(config: Config): boolean {
  const c = config.console;
  if (c.secureCookies !== null) return c.secureCookies;
  if (c.publicOrigin?.startsWith('https:')) return true;
  return c.listen !== null && !isLoopbackHost(c.listen.host);
}

/** The console shows embargoed text: beyond this machine only when asked for by name. */
function checkConsoleHost(config: Config, source: string): void {
  const origin = config.console.publicOrigin;
  if (origin !== null) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin.replace(/\/$/, ''))
      throw new AppError(
        'CONFIG_INVALID',
        `${source}: console.publicOrigin: expected an origin such as https://console.example.org (scheme, host and port only), got "${origin}"`,
      );
  }
  const listen = config.console.listen;
  if (listen && !config.console.allowRemote && !isLoopbackHost(listen.host))
    throw new AppError(
      'CONFIG_INVALID',
      `${source}: console.listen.host: expected a loopback address (127.0.0.1, ::1, localhost), got "${listen.host}"; set console.allowRemote: true to serve the console beyond this machine (behind a TLS proxy)`,
    );
}

function issueKey(issue: z.core.$ZodIssue): string {
  const parts = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') parts.push(issue.keys.join(', '));
  return parts.length > 0 ? parts.join('.') : '(top level)';
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return 'unknown key (check the spelling against config/default.yaml)';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return `missing; expected ${issue.expected}`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

export interface ConfigWarning {
  code: 'CONFIG_DEFAULT_CRITERIA';
  key: string;
  message: string;
}

/** What a valid configuration probably did not mean: check-config prints these, the daemon logs them at start. */
export function configWarnings(config: Config): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const c = config.policy.criteria;
  if (c.length === DEFAULT_CRITERIA.length && c.every((text, i) => text === DEFAULT_CRITERIA[i]))
    warnings.push({
      code: 'CONFIG_DEFAULT_CRITERIA',
      key: 'policy.criteria',
      message:
        'policy.criteria is not set: applicants are asked the built-in example criteria (Istio\'s five, such as "Be involved in redistributing Istio"); list your project\'s own criteria under policy.criteria',
    });
  return warnings;
}

/** The address bounces of relayed mail return to: list-bounces@domain unless configured. */
export function bounceAddress(config: Config): string {
  if (config.list.bounceAddress) return config.list.bounceAddress;
  const [local, domain] = splitAddress(config.list.address);
  return `${local}-bounces@${domain}`;
}

/** RFC 2919 list identifier: the list address with "@" turned into ".". */
export function listId(config: Config): string {
  const [local, domain] = splitAddress(config.list.address);
  return `${local}.${domain}`;
}

function splitAddress(address: string): [string, string] {
  return [localPartOf(address), domainOf(address)];
}

/** A copy safe to log: passwords replaced. */
export function redact(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.inbound.imap?.password) copy.inbound.imap.password = '[redacted]';
  if (copy.outbound.smtp?.password) copy.outbound.smtp.password = '[redacted]';
  return copy;
}
