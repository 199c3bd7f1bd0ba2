/**
 * pino, to standard error (standard output is for command results): JSON by default, readable
 * on a terminal. One child logger per stage: grep for stage, or for the disposition words
 * (RELAYED, DROPPED, HELD, QUARANTINED, SENT, DEFERRED, FAILED).
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config';

export function createLogger(
  options: Config['log'],
  stream: NodeJS.WritableStream & { fd?: number } = process.stderr,
): Logger {
  const usePretty =
    options.format === 'pretty' || (options.format === 'auto' && Boolean((stream as { isTTY?: boolean }).isTTY));
  const base = { name: 'embargo-list' };
  if (usePretty) {
    return pino(
      { level: options.level, base },
      // Loaded only for a terminal: the daemon writes JSON.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('pino-pretty') as typeof import('pino-pretty'))({
        destination: stream,
        sync: true,
        colorize: true,
        ignore: 'pid,hostname,name',
      }),
    );
  }
  // Written asynchronously: lines logged in one turn of the event loop leave in one write (a
  // write per line was 6% of the daemon's CPU in the benchmark), and pino writes what is left when the
  // process exits. A SIGKILL loses the lines not yet written; the database keeps what happened.
  return pino(
    { level: options.level, base, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: stream.fd ?? 2, sync: false }),
  );
}
