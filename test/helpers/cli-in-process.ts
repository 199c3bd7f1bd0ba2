/**
 * One command line of an admin command group, run in this process against a test context, with
 * what it printed on standard output. For unit tests of src/admin/*: the whole program (src/cli
 * main) is tested through its own process in test/integration/cli.test.ts.
 */
import { Command } from 'commander';

/** `register` adds the command group to a fresh program (e.g. `(p) => registerHeld(p, open)`). */
export async function runInProcess(
  register: (program: Command) => void,
  args: string[],
  opts: { quietErrors?: boolean } = {},
): Promise<string> {
  const program = new Command('embargo-list').exitOverride();
  if (opts.quietErrors) program.configureOutput({ writeErr: () => undefined });
  register(program);
  const realWrite = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = realWrite;
  }
  return out;
}
