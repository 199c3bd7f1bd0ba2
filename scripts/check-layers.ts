/**
 * The arrows between the folders of src/ run one way: down the stages. Fails (exit 1) when
 *
 *   - a file in a pure folder (rules/, chains/, message/, policy/) imports code from a folder with
 *     side effects (actions/, commands/, runners/, admin/, jobs/, store/). A row type from store/
 *     (`import type`) is allowed: it is a shape, not a read or a write;
 *   - the folders import each other's code in a circle (actions/ -> commands/ -> actions/).
 *     `import type` is left out of this one: a row or snapshot shape named on both sides is
 *     erased at build time and decides nothing at run time.
 *
 * File-level cycles are madge's job (npm run check:cycles runs both). Imports are read with the
 * TypeScript parser, so a string that merely looks like an import does not count.
 *
 *   npx tsx scripts/check-layers.ts [SRC_DIR]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const PURE = new Set(['rules', 'chains', 'message', 'policy']);
const EFFECTS = new Set(['actions', 'commands', 'runners', 'admin', 'jobs', 'store']);

export interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Relative imports and re-exports of one file, resolved to files under `root`. */
export function importsOf(file: string, root: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: Import[] = [];
  for (const node of source.statements) {
    let spec: ts.Expression | undefined;
    let typeOnly = false;
    if (ts.isImportDeclaration(node)) {
      spec = node.moduleSpecifier;
      const clause = node.importClause;
      typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      spec = node.moduleSpecifier;
      typeOnly = node.isTypeOnly;
    }
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    const target = resolveModule(resolve(dirname(file), spec.text));
    if (target) out.push({ from: relative(root, file), to: relative(root, target), typeOnly });
  }
  return out;
}

function resolveModule(base: string): string | null {
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

/** The folder a file belongs to: its first directory under src/, or "." for a file at the top. */
export function folderOf(path: string): string {
  const parts = path.split(sep);
  return parts.length > 1 ? parts[0]! : '.';
}

/** Pure folders importing code with side effects. */
export function layerViolations(imports: Import[]): string[] {
  return imports
    .filter(
      (i) => PURE.has(folderOf(i.from)) && EFFECTS.has(folderOf(i.to)) && !(i.typeOnly && folderOf(i.to) === 'store'),
    )
    .map(
      (i) =>
        `LAYER_VIOLATION ${i.from} imports ${i.to}${i.typeOnly ? ' (types)' : ''}: ${folderOf(i.from)}/ is pure and may not depend on ${folderOf(i.to)}/`,
    );
}

/** Circles in the folder graph (files at the top of src/ are left out: they are the composition roots). */
export function folderCycles(imports: Import[]): string[] {
  const edges = new Map<string, Map<string, Import>>();
  for (const i of imports.filter((x) => !x.typeOnly)) {
    const [a, b] = [folderOf(i.from), folderOf(i.to)];
    if (a === b || a === '.' || b === '.') continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, i);
  }
  const found = new Set<string>();
  const out: string[] = [];
  const walk = (start: string, at: string, path: string[]): void => {
    for (const [next, example] of edges.get(at) ?? []) {
      if (next === start) {
        const circle = [...path, start];
        const key = [...circle.slice(0, -1)].sort().join(',');
        if (!found.has(key)) {
          found.add(key);
          out.push(`FOLDER_CYCLE ${circle.join(' -> ')} (e.g. ${example.from} imports ${example.to})`);
        }
      } else if (!path.includes(next) && next > start) {
        walk(start, next, [...path, next]);
      }
    }
  };
  for (const start of [...edges.keys()].sort()) walk(start, start, [start]);
  return out;
}

function main(args: string[]): number {
  const root = resolve(args[0] ?? join(__dirname, '..', 'src'));
  const imports = sourceFiles(root).flatMap((f) => importsOf(f, root));
  const problems = [...layerViolations(imports), ...folderCycles(imports)];
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length > 0) return 1;
  process.stdout.write(
    `layers: ${imports.length} imports between ${new Set(imports.map((i) => i.from)).size} files, no arrow up the stages, no folder cycle\n`,
  );
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
