/**
 * fetch (Maildir): the same pipeline fed from a Maildir. New mail is in new/; a handled message
 * is renamed into cur/ and one that could not be handled into the .Quarantine/ sub-folder, only
 * after its effects are committed. The file name (without flags) identifies the copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../context';
import { processRaw } from './pipeline';

const POLL_MS = 2000;

export function maildirFolders(root: string): { newDir: string; curDir: string; quarantineCur: string } {
  return {
    newDir: path.join(root, 'new'),
    curDir: path.join(root, 'cur'),
    quarantineCur: path.join(root, '.Quarantine', 'cur'),
  };
}

export function ensureMaildir(root: string): void {
  for (const d of ['new', 'cur', 'tmp', '.Quarantine/new', '.Quarantine/cur', '.Quarantine/tmp']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
}

export class MaildirFetcher {
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private news = false;
  private watcher: fs.FSWatcher | null = null;
  private loopDone: Promise<void> | null = null;
  private readonly root: string;
  private readonly log;
  lastContact: Date | null = null;

  constructor(
    private readonly ctx: Context,
    root: string,
  ) {
    this.root = path.resolve(root);
    this.log = ctx.log.child({ stage: 'fetch', source: 'maildir' });
  }

  start(): void {
    ensureMaildir(this.root);
    const { newDir } = maildirFolders(this.root);
    try {
      this.watcher = fs.watch(newDir, () => {
        this.news = true;
        this.wakeUp?.();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = null; // polling alone still finds the mail
    }
    this.log.info({ maildir: this.root }, `MAILDIR_WATCHING ${this.root}`);
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.watcher?.close();
    this.wakeUp?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.news = false;
      try {
        await this.drain();
      } catch (err) {
        this.log.error({ err }, `MAILDIR_FAILED ${(err as Error).message}; trying again`);
      }
      if (this.stopping || this.news) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  async drain(): Promise<number> {
    const { newDir, curDir, quarantineCur } = maildirFolders(this.root);
    const names = (await fs.promises.readdir(newDir)).filter((n) => !n.startsWith('.')).sort();
    this.lastContact = new Date();
    let handled = 0;
    for (const name of names) {
      if (this.stopping) break;
      const file = path.join(newDir, name);
      let raw: Buffer;
      try {
        raw = await fs.promises.readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // taken by another reader
        throw err;
      }
      const base = name.split(':')[0]!;
      const result = await processRaw(this.ctx, `maildir:${base}`, raw);
      const dest = result.status.endsWith('quarantined') ? quarantineCur : curDir;
      await fs.promises.rename(file, path.join(dest, `${base}:2,S`));
      handled += 1;
    }
    return handled;
  }
}
