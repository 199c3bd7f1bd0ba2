import type { Context } from '../context';

/** Runs a one-shot command with a context and closes the database afterwards, whatever happens. */
export function withContext<T>(open: () => Context, fn: (ctx: Context) => T): T {
  const ctx = open();
  try {
    return fn(ctx);
  } finally {
    ctx.db.close();
  }
}

export async function withContextAsync<T>(open: () => Context, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = open();
  try {
    return await fn(ctx);
  } finally {
    ctx.db.close();
  }
}
