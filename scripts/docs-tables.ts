/**
 * Writes the rule table and the decision table into docs/internals.md from the code, between
 * `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`. With --check it writes nothing and
 * exits 1, naming the file, when the committed docs differ from what the code gives.
 *
 *   npm run docs         # write
 *   npm run docs:check   # check (CI)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { INBOUND_CHAINS } from '../src/chains/inbound';
import { RULES } from '../src/rules/index';
import type { RuleUse } from '../src/rules/types';

const TARGET = join(__dirname, '..', 'docs', 'internals.md');

type Table = { header: string[]; rows: string[][] };

const USE: Record<RuleUse, string> = {
  reason: 'a reason the moderators see when held',
  fact: 'a fact the table routes on, not a reason',
  audit: 'kept for the audit only; no row names it',
};

/** The rules, in the order they run (the size rules on the header alone, first): name, description, what a hit is. */
export function ruleTable(): Table {
  return {
    header: ['Rule', 'Hits when', 'Its hit is'],
    rows: RULES.map((rule) => [code(rule.name), rule.description, USE[rule.use]]),
  };
}

/**
 * The decision table, in order: the part (top, then the sub-chain of the address the message was
 * sent to, entered by its rule, then neither), the rules that must all hit, those that must not,
 * the outcome, the label.
 */
export function chainTable(): Table {
  return {
    header: ['Part', 'Rules that hit', 'Unless', 'Outcome', 'Label'],
    rows: INBOUND_CHAINS.flatMap((part) =>
      part.rows.map((row) => [
        part.entry ? `${part.name} (${code(part.entry)})` : part.name,
        row.when.map(code).join(', ') || '(any)',
        (row.unless ?? []).map(code).join(', '),
        row.outcome,
        code(row.label),
      ]),
    ),
  };
}

function code(name: string): string {
  return `\`${name}\``;
}

function markdown({ header, rows }: Table): string {
  const line = (cells: string[]) =>
    `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Replaces what stands between the markers of one block; fails when the markers are missing. */
function fill(text: string, name: string, body: string): string {
  const open = `<!-- generated:${name} -->`;
  const close = `<!-- /generated:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${TARGET}: markers ${open} ... ${close} not found`);
  return `${text.slice(0, start + open.length)}\n${body}\n${text.slice(end)}`;
}

function main(args: string[]): number {
  const check = args.includes('--check');
  const current = readFileSync(TARGET, 'utf8');
  let wanted = fill(current, 'rules', markdown(ruleTable()));
  wanted = fill(wanted, 'chain', markdown(chainTable()));
  if (wanted === current) return 0;
  if (check) {
    process.stderr.write(
      `DOCS_OUT_OF_DATE ${relative(process.cwd(), TARGET)}: the generated tables differ from the code; run npm run docs\n`,
    );
    return 1;
  }
  writeFileSync(TARGET, wanted);
  process.stdout.write(`wrote ${TARGET}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
