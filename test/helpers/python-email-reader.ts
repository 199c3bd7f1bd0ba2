/**
 * Python's email package as a second, lenient reader of the mail the tests produce: one python3
 * process (test/helpers/python-email-reader.py) kept alive across cases, asked one message at a
 * time over JSON lines. A machine without python3 fails the tests that use it, with a message
 * that says so: the check is never skipped.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface PythonReading {
  /** Field names in order, as written, duplicates kept. */
  names: string[];
  /** Each field's value, unfolded, encoded words decoded. */
  values: string[];
  /** For each field: [display name, address] pairs when the field carries addresses, else null. */
  addresses: ([string, string][] | null)[];
  /** Content type of each MIME part, in walk order. */
  parts: string[];
  /** Set (and nothing else) when the reader raised. */
  error?: string;
}

export interface PythonAnswer {
  compat32: PythonReading;
  default: PythonReading;
}

const SCRIPT = path.join(__dirname, 'python-email-reader.py');

export class PythonEmailReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, { resolve: (a: PythonAnswer) => void; reject: (e: Error) => void }>();
  private next = 0;
  private failure: Error | null = null;
  private stderr = '';

  private constructor(executable: string) {
    this.child = spawn(executable, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      this.fail(
        new Error(
          err.code === 'ENOENT'
            ? `python3 is needed by the relay and header tests as a second mail reader (Python's email package) and was not found on PATH: install the Debian package python3, or name another interpreter in PYTHON`
            : `python3 could not be started: ${err.message}`,
        ),
      );
    });
    this.child.stdin.on('error', (err) =>
      this.fail(new Error(`the python email reader cannot be written to: ${err.message}`)),
    );
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.child.on('exit', (code, signal) =>
      this.fail(new Error(`the python email reader stopped (code ${code}, signal ${signal}): ${this.stderr.trim()}`)),
    );
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as PythonAnswer & { id: number };
      const w = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      w?.resolve(answer);
    });
  }

  /** Starts the reader and checks that it answers; rejects with a clear message when python3 is missing. */
  static async start(executable = process.env.PYTHON ?? 'python3'): Promise<PythonEmailReader> {
    const reader = new PythonEmailReader(executable);
    const probe = await reader.read(Buffer.from('From: probe@example.org\r\n\r\n'));
    if (probe.compat32.error || probe.compat32.names[0] !== 'From')
      throw new Error(`the python email reader does not work: ${JSON.stringify(probe)}`);
    return reader;
  }

  read(raw: Buffer): Promise<PythonAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, raw: raw.toString('base64') })}\n`);
    });
  }

  stop(): void {
    this.child.removeAllListeners('exit');
    this.child.stdin.end();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}
