/**
 * The bare I/O worker's entry point (spawned by bare.ts).
 */
import { bareWorker } from './bare';

bareWorker().then(
  () => process.exit(0),
  (err) => {
    console.error(`bare worker: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
