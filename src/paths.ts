/**
 * Where the files that ship with the package live (migrations/, templates/, config/), found
 * from this file whether it runs compiled (dist/src) or from the sources (src, under tsx).
 */
import fs from 'node:fs';
import path from 'node:path';

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'migrations'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the embargo-list package root above ${start}`);
  }
}

export const PACKAGE_ROOT = findRoot(__dirname);

export function shipped(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
