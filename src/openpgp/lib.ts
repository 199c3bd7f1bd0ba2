/**
 * OpenPGP.js for this CommonJS build. The package is an ES module with a CommonJS build beside it
 * (exports "require"); its types are declared as ESM, so TypeScript (module node16) refuses a
 * plain import. Types are imported in ESM resolution mode, the code is required.
 */
import type * as OpenPgp from 'openpgp' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const openpgp = require('openpgp') as typeof OpenPgp;

export type PublicKey = OpenPgp.PublicKey;
export type PrivateKey = OpenPgp.PrivateKey;
export type Key = OpenPgp.Key;
