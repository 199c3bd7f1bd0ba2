/**
 * Errors with a stable UPPER_SNAKE code and a sentence a person can act on.
 * The code is what logs, the inbound table and tests match on; the message may change.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_UNREADABLE'
  | 'DB_TOO_NEW'
  | 'DB_MIGRATION_FAILED'
  | 'DB_NOT_MIGRATED'
  | 'DAEMON_ALREADY_RUNNING'
  | 'MESSAGE_UNPARSEABLE'
  | 'MESSAGE_NO_FROM'
  | 'MESSAGE_TOO_MANY_ATTEMPTS'
  | 'HANDLER_FAILED'
  | 'TEMPLATE_MISSING'
  | 'TEMPLATE_INVALID'
  | 'TEMPLATE_TOKEN_PLANTED'
  | 'MEMBER_INVALID_ADDRESS'
  | 'MEMBER_NOT_FOUND'
  | 'INPUT_UNREADABLE'
  | 'INPUT_NOT_FOUND'
  | 'DATA_DIR_UNWRITABLE'
  | 'DB_UNREADABLE'
  | 'DB_NOT_WRITABLE'
  // status / healthz (admin/status): the database, the disk or the outbox is in trouble.
  | 'UNHEALTHY'
  | 'MEMBER_EXISTS'
  | 'HELD_NOT_FOUND'
  | 'INGEST_TEMPFAIL'
  | 'REQUEST_NOT_FOUND'
  | 'IMPORT_INVALID'
  // The console passwd command (admin/console).
  | 'CONSOLE_NOT_A_MODERATOR'
  | 'CONSOLE_PASSWORD_INVALID'
  // A moderator's action on the server refused (admin/moderator-action), as the keyword by mail would be.
  | 'ALREADY_DECIDED'
  | 'ALREADY_PUBLIC'
  | 'ARGUMENT_MISSING'
  | 'REQUEST_NO_ALIAS'
  | 'HELD_NOT_RELAYABLE'
  | 'DISCLOSURE_NOT_FOUND'
  | 'LEAK_NOT_FOUND'
  | 'RETURNED_POST_NOT_FOUND'
  | 'MEMBER_NOT_ACTIVE'
  | 'TOKEN_EXPIRED'
  | 'EMBARGO_MISSING'
  | 'EMBARGO_UNREADABLE'
  | 'EMBARGO_PAST'
  | 'EMBARGO_TOO_FAR'
  | 'EMBARGO_AMBIGUOUS'
  | 'EMBARGO_PROPOSED'
  | 'NOT_DONE'
  // OpenPGP: people's public keys (openpgp/keys, admin/keys) and the list's key pair (openpgp/list-key).
  | 'KEY_UNREADABLE'
  | 'KEY_TOO_LARGE'
  | 'KEY_IS_SECRET'
  | 'KEY_MULTIPLE'
  | 'KEY_EXPIRED'
  | 'KEY_REVOKED'
  | 'KEY_NO_ENCRYPTION'
  | 'KEY_NOT_FOUND'
  | 'MODERATOR_NOT_FOUND'
  | 'LIST_KEY_INSECURE'
  | 'LIST_KEY_UNREADABLE'
  | 'LIST_KEY_MISSING'
  | 'LIST_KEY_EXISTS'
  | 'LIST_KEY_INVALID'
  // OpenPGP at delivery (openpgp/outbound): a copy that must be encrypted is never sent in the clear.
  | 'KEY_UNUSABLE'
  | 'ENCRYPT_FAILED'
  // Quarantined messages on the server (admin/inbound).
  | 'INBOUND_NOT_FOUND'
  | 'INBOUND_NOT_QUARANTINED';

export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'AppError';
  }
}

/** The stable code of any thrown value: ours, or HANDLER_FAILED for everything else. */
export function errorCode(err: unknown): ErrorCode {
  return err instanceof AppError ? err.code : 'HANDLER_FAILED';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
