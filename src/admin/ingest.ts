/**
 * embargo-list ingest: raw messages from files or standard input through the very pipeline the
 * daemon uses, then one delivery pass. The copy is identified by its SHA-256, so an MTA that
 * pipes the same message again after a failure does not apply it twice.
 */
import fs from 'node:fs';
import type { Context } from '../context';
import { AppError } from '../errors';
import { deliverNow } from './deliver-now';
import { processRaw } from '../runners/pipeline';
import { sha256 } from '../store/inbound';

async function readInput(name: string): Promise<Buffer> {
  try {
    if (name === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    return await fs.promises.readFile(name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (name !== '-' && (code === 'ENOENT' || code === 'ENOTDIR'))
      throw new AppError('INPUT_NOT_FOUND', `no such message file: ${name}`);
    throw new AppError(
      'INPUT_UNREADABLE',
      `cannot read ${name === '-' ? 'standard input' : name}: ${(err as Error).message}`,
    );
  }
}

export async function runIngest(ctx: Context, files: string[]): Promise<void> {
  const inputs = files.length === 0 ? ['-'] : files;
  // Every file is read before the first is handled: a missing one stops the command with nothing applied.
  const raws: Buffer[] = [];
  for (const name of inputs) raws.push(await readInput(name));
  for (const raw of raws) await processRaw(ctx, `ingest:${sha256(raw)}`, raw);
  await deliverNow(ctx);
}
