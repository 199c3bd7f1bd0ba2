/**
 * Per-criterion precision, recall and F1 of parseJoinRequest on the join-request fixtures
 * (test/fixtures/join-requests/*.eml against expected.json there), read through mailparser as the
 * daemon reads them. An answer counts as found when it equals the expected one (whitespace
 * collapsed); a wrong answer is a false positive and a false negative.
 *
 *   npx tsx scripts/join-request-accuracy.ts            the table and totals
 *   npx tsx scripts/join-request-accuracy.ts --misses   also each wrong or missing answer
 *   npx tsx scripts/join-request-accuracy.ts --reader M  first pass the body through module M's
 *                                                       ownReplyText (to compare reply parsers)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CRITERIA } from '../src/policy/join-request';
import { fromFixture } from '../test/helpers/join-requests';

interface Expected {
  answers: Record<string, string>;
  alias: string | null;
  acceptsEmbargo: boolean;
}

const DIR = join(__dirname, '..', 'test', 'fixtures', 'join-requests');
const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const readerAt = args.indexOf('--reader');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const reader = readerAt >= 0 ? (require(resolve(args[readerAt + 1]!)) as { ownReplyText(t: string): string }) : null;
  const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;
  let tp = 0,
    fp = 0,
    fn = 0,
    embargoRight = 0,
    aliasRight = 0;
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.eml'))
    .sort();
  for (const file of files) {
    const want = expected[file];
    if (!want) throw new Error(`${file}: no entry in expected.json`);
    const got = await fromFixture(file, reader ? (t) => reader.ownReplyText(t) : undefined);
    for (let k = 1; k <= DEFAULT_CRITERIA.length; k++) {
      const [e, g] = [want.answers[k], got.answers[k]];
      const right = e !== undefined && g !== undefined && norm(e) === norm(g);
      if (right) tp++;
      if (g !== undefined && !right) fp++;
      if (e !== undefined && !right) fn++;
      if (!right && (e !== undefined || g !== undefined) && args.includes('--misses')) {
        console.log(`${file} criterion ${k}: expected ${JSON.stringify(e ?? null)}, read ${JSON.stringify(g ?? null)}`);
      }
    }
    if (got.acceptsEmbargo === want.acceptsEmbargo) embargoRight++;
    else if (args.includes('--misses'))
      console.log(`${file}: acceptsEmbargo expected ${want.acceptsEmbargo}, read ${got.acceptsEmbargo}`);
    if (got.alias === want.alias) aliasRight++;
    else if (args.includes('--misses')) console.log(`${file}: alias expected ${want.alias}, read ${got.alias}`);
  }
  const precision = tp / (tp + fp || 1);
  const recall = tp / (tp + fn || 1);
  const f1 = (2 * precision * recall) / (precision + recall || 1);
  console.log(`fixtures ${files.length}, answers right ${tp}, wrong or extra ${fp}, wrong or missed ${fn}`);
  console.log(
    `precision ${precision.toFixed(3)} recall ${recall.toFixed(3)} F1 ${f1.toFixed(3)}; acceptsEmbargo right ${embargoRight}/${files.length}; alias right ${aliasRight}/${files.length}`,
  );
}

void main();
