/**
 * Checks every relative link in README.md and docs/*.md: the file it names exists, and the
 * `#anchor`, if any, is a heading of that file (GitHub's rule for heading anchors). Exits 1 and
 * names each broken link as FILE:LINE.
 *
 *   npx tsx scripts/check-doc-links.ts
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..');

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fence = !fence;
    const heading = fence ? null : /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
    seen.set(slug, n + 1);
  }
  return anchors;
}

/** Every `[text](target)` outside code, with its line number; external and mail links left out. */
export function relativeLinks(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let fence = false;
  const text = markdown
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) fence = !fence;
      return fence || /^\s*```/.test(line) ? '' : line.replace(/`[^`]*`/g, '');
    })
    .join('\n');
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue;
    links.push({ line: text.slice(0, m.index).split('\n').length, target });
  }
  return links;
}

function docFiles(): string[] {
  const docs = join(ROOT, 'docs');
  const inDocs = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(docs, f))
    : [];
  return [join(ROOT, 'README.md'), ...inDocs];
}

function main(): number {
  const broken: string[] = [];
  let count = 0;
  for (const file of docFiles()) {
    for (const { line, target } of relativeLinks(readFileSync(file, 'utf8'))) {
      count += 1;
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const dest = path === '' ? file : resolve(dirname(file), path);
      const where = `${relative(ROOT, file)}:${line}`;
      if (!existsSync(dest)) {
        broken.push(`${where}: ${target}: no such file`);
        continue;
      }
      if (anchor !== undefined && dest.endsWith('.md') && !headingAnchors(readFileSync(dest, 'utf8')).has(anchor)) {
        broken.push(`${where}: ${target}: no heading with that anchor in ${relative(ROOT, dest)}`);
      }
    }
  }
  for (const b of broken) process.stderr.write(`DOCS_BROKEN_LINK ${b}\n`);
  process.stdout.write(`doc links: ${count} checked, ${broken.length} broken\n`);
  return broken.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
