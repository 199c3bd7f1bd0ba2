/**
 * The relay benchmark's command-line options.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Scenario, scenariosFor, secondsFor } from './scenarios';

export interface Options {
  /** What is run: the named scenarios, or one `custom` scenario from --posts/--members/--connections. */
  scenarios: Scenario[];
  postBytes: number;
  batchSize: number;
  latencyPosts: number;
  latencyGapMs: number;
  imapPollSeconds: number;
  dovecotFsync: string;
  daemonNodeOptions: string;
  /** What the daemon is built from: "tree" (the working tree's src/) or a git revision. */
  daemonFrom: string;
  maxSeconds: number;
  out: string;
  bare: boolean;
  latency: boolean;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      posts: { type: 'string' },
      members: { type: 'string' },
      'post-bytes': { type: 'string', default: '3072' },
      connections: { type: 'string' },
      'batch-size': { type: 'string', default: '200' },
      'latency-posts': { type: 'string', default: '50' },
      'latency-gap-ms': { type: 'string', default: '700' },
      'imap-poll-seconds': { type: 'string', default: '60' },
      'dovecot-fsync': { type: 'string', default: 'optimized' },
      'daemon-node-options': { type: 'string', default: productionNodeFlags() },
      'daemon-from': { type: 'string', default: 'tree' },
      'max-seconds': { type: 'string' },
      out: { type: 'string' },
      'no-bare': { type: 'boolean', default: false },
      'no-latency': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(fs.readFileSync(path.join(__dirname, 'relay.ts'), 'utf8').split('*/')[0]);
    process.exit(0);
  }
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be an integer >= ${min}, not ${JSON.stringify(v)}`);
    return n;
  };
  if (!['never', 'optimized', 'always'].includes(values['dovecot-fsync']!))
    throw new Error('--dovecot-fsync must be never, optimized or always');
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const custom = values.posts !== undefined || values.members !== undefined || values.connections !== undefined;
  if (custom && values.scenario !== undefined)
    throw new Error('--scenario cannot be combined with --posts, --members or --connections (a custom run)');
  const scenarios: Scenario[] = custom
    ? [
        {
          name: 'custom',
          posts: int('posts', values.posts ?? '2000', 1),
          members: int('members', values.members ?? '20', 1),
          connections: (values.connections ?? '5').split(',').map((c) => int('connections', c.trim(), 1)),
        },
      ]
    : scenariosFor(values.scenario ?? 'default');
  // Default: 3 minutes, 90 s per scenario (start, APPENDs), and per configuration a budget from its deliveries.
  const budget = scenarios.reduce((a, s) => a + 90 + s.connections.length * secondsFor(s.posts * s.members), 180);
  return {
    scenarios,
    postBytes: int('post-bytes', values['post-bytes']!, 600),
    batchSize: int('batch-size', values['batch-size']!, 1),
    latencyPosts: int('latency-posts', values['latency-posts']!, 1),
    latencyGapMs: int('latency-gap-ms', values['latency-gap-ms']!, 0),
    imapPollSeconds: int('imap-poll-seconds', values['imap-poll-seconds']!, 1),
    dovecotFsync: values['dovecot-fsync']!,
    daemonNodeOptions: values['daemon-node-options']!,
    daemonFrom: values['daemon-from']!,
    maxSeconds: values['max-seconds'] !== undefined ? int('max-seconds', values['max-seconds'], 10) : budget,
    out: values.out ?? path.join('bench-results', `relay-${stamp}.json`),
    bare: !values['no-bare'],
    latency: !values['no-latency'],
  };
}

/**
 * The node flags the daemon runs with in production: those of package.json's start script (the
 * same as docker-compose.yml and the systemd unit in docs/operator-guide.md), so that the
 * benchmark measures the memory production has. `--daemon-node-options ""` measures without.
 */
export function productionNodeFlags(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  // "exec": sh becomes node, so that a signal to npm's child reaches the daemon.
  const m = /^(?:exec\s+)?node((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/src\/cli\.js\b/.exec(pkg.scripts.start);
  if (!m)
    throw new Error(
      `package.json's start script is not "[exec] node [--flags] dist/src/cli.js ...": adapt the benchmark`,
    );
  return m[1]!.trim();
}
