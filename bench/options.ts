/**
 * The relay benchmark's command-line options.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

export interface Options {
  posts: number;
  members: number;
  postBytes: number;
  connections: number[];
  batchSize: number;
  latencyPosts: number;
  latencyGapMs: number;
  imapPollSeconds: number;
  dovecotFsync: string;
  daemonNodeOptions: string;
  maxSeconds: number;
  out: string;
  bare: boolean;
  latency: boolean;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      posts: { type: 'string', default: '2000' },
      members: { type: 'string', default: '20' },
      'post-bytes': { type: 'string', default: '3072' },
      connections: { type: 'string', default: '5' },
      'batch-size': { type: 'string', default: '200' },
      'latency-posts': { type: 'string', default: '50' },
      'latency-gap-ms': { type: 'string', default: '700' },
      'imap-poll-seconds': { type: 'string', default: '60' },
      'dovecot-fsync': { type: 'string', default: 'optimized' },
      'daemon-node-options': { type: 'string', default: '' },
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
  return {
    posts: int('posts', values.posts!, 1),
    members: int('members', values.members!, 1),
    postBytes: int('post-bytes', values['post-bytes']!, 600),
    connections: values.connections!.split(',').map((c) => int('connections', c.trim(), 1)),
    batchSize: int('batch-size', values['batch-size']!, 1),
    latencyPosts: int('latency-posts', values['latency-posts']!, 1),
    latencyGapMs: int('latency-gap-ms', values['latency-gap-ms']!, 0),
    imapPollSeconds: int('imap-poll-seconds', values['imap-poll-seconds']!, 1),
    dovecotFsync: values['dovecot-fsync']!,
    daemonNodeOptions: values['daemon-node-options']!,
    // Default: 3 minutes plus 5 per daemon configuration (a loaded 2-core machine needs ~4 for one).
    maxSeconds:
      values['max-seconds'] !== undefined
        ? int('max-seconds', values['max-seconds'], 10)
        : 180 + 300 * values.connections!.split(',').length,
    out: values.out ?? path.join('bench-results', `relay-${stamp}.json`),
    bare: !values['no-bare'],
    latency: !values['no-latency'],
  };
}
