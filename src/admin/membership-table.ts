/**
 * The Membership table of the policy document (| Email | Organization |), read and written so
 * that the public page and the list stay the same. Pure.
 */
import { isAddress, normalizeAddress } from '../message/address';

export interface TableRow {
  address: string;
  organization: string;
}

/** Every table row whose first cell is an address; header and separator rows are skipped. */
export function parseMembershipTable(markdown: string): { rows: TableRow[]; skipped: string[] } {
  const rows: TableRow[] = [];
  const skipped: string[] = [];
  for (const line of markdown.split(/\r?\n/)) {
    const t = line.trim();
    if (!t.startsWith('|')) continue;
    // A "|" inside a cell is written "\|" (GitHub's Markdown tables do the same).
    const cells = t
      .replace(/^\|/, '')
      .replace(/(?<!\\)\|$/, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
    const [first = '', second = ''] = cells;
    if (/^:?-+:?$/.test(first) || /^email$/i.test(first)) continue;
    const address = first
      .replace(/^<|>$/g, '')
      .replace(/^mailto:/i, '')
      .replace(/^\[([^\]]+)\]\(.*\)$/, '$1');
    if (!isAddress(address) || second === '') {
      skipped.push(t);
      continue;
    }
    rows.push({ address: normalizeAddress(address), organization: second });
  }
  return { rows, skipped };
}

export function renderMembershipTable(rows: TableRow[]): string {
  const lines = [
    '| Email\t\t| Organization\t|',
    '| ------------- |:-------------:|',
    ...rows.map((r) => `| ${r.address} | ${r.organization.replace(/\|/g, '\\|')} |`),
  ];
  return `${lines.join('\n')}\n`;
}
