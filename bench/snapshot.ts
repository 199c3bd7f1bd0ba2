/**
 * The daemon measured: a private build of src/ taken when the benchmark starts, so that others
 * rebuilding dist/ in the same working tree during a run cannot change what is measured midway.
 * A temporary directory with package.json and links to migrations/, templates/, config/ and
 * node_modules/ (the daemon finds its package root and modules from its own file), and dist/.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onCleanup, tryExec } from './util';

const ROOT = path.resolve(__dirname, '..');

export interface Snapshot {
  cli: string;
  /** "tree", or the git revision given. */
  from: string;
  /** What was built: the commit, the files of src/ that differed from it, and a hash of that difference. */
  commit: string | null;
  srcChanges: string[];
  srcDiffSha1: string | null;
  /** false when src/ changed while it was being built (then the build may mix the two states). */
  srcSteadyDuringBuild: boolean;
  builtAt: string;
}

/**
 * `from`: "tree" builds src/ as it is in the working tree; anything else is a git revision, whose
 * src/, migrations/, templates/ and config/ are taken with `git archive` (read-only for the tree),
 * so that a "before" can be measured while others change src/.
 */
export function buildSnapshot(from: string): Snapshot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-bench-build-'));
  onCleanup('daemon build', () => fs.rmSync(dir, { recursive: true, force: true }));
  const tsc = (project: string, extra: string[]) =>
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project, ...extra], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  if (from !== 'tree') {
    const commit = tryExec('git', ['-C', ROOT, 'rev-parse', '--verify', `${from}^{commit}`]);
    if (!commit) throw new Error(`--daemon-from: ${JSON.stringify(from)} is not a git revision`);
    const shipped = [
      'src',
      'migrations',
      'templates',
      'config',
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
    ];
    const tar = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', commit, ...shipped], {
      maxBuffer: 1 << 30,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    tsc(path.join(dir, 'tsconfig.build.json'), []);
    return done(dir, { from, commit, srcChanges: [], srcDiffSha1: null, srcSteadyDuringBuild: true });
  }
  const commit = tryExec('git', ['-C', ROOT, 'rev-parse', 'HEAD']);
  const srcChanges = (tryExec('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src']) ?? '')
    .split('\n')
    .filter(Boolean);
  const diffSha1 = () => {
    const diff = tryExec('git', ['-C', ROOT, 'diff', 'HEAD', '--', 'src']);
    return diff ? crypto.createHash('sha1').update(diff).digest('hex') : null;
  };
  const before = diffSha1();
  tsc(path.join(ROOT, 'tsconfig.build.json'), ['--outDir', `${dir}/dist`]);
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  for (const d of ['migrations', 'templates', 'config', 'node_modules'])
    fs.symlinkSync(path.join(ROOT, d), path.join(dir, d));
  return done(dir, { commit, srcChanges, srcDiffSha1: before, srcSteadyDuringBuild: diffSha1() === before });
}

function done(dir: string, s: Omit<Snapshot, 'cli' | 'builtAt' | 'from'> & { from?: string }): Snapshot {
  const cli = path.join(dir, 'dist', 'src', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`the build wrote no ${cli}`);
  return { ...s, from: s.from ?? 'tree', cli, builtAt: new Date().toISOString() };
}
