/** The shapes checkAlias reads and returns, and the constructor of a blocking finding. */
export type AliasFindingCode =
  | 'ALIAS_MISSING'
  | 'ALIAS_INVALID'
  | 'ALIAS_FREEMAIL'
  | 'ALIAS_DISPOSABLE'
  | 'ALIAS_DENIED'
  | 'ALIAS_DOMAIN_MISMATCH'
  | 'ALIAS_IS_SENDER'
  | 'ALIAS_PERSONAL'
  | 'ALIAS_LOOKALIKE_DOMAIN';

/** `message` is one plain sentence a moderator and the applicant can act on. */
export interface AliasFinding {
  code: AliasFindingCode;
  severity: 'block' | 'warn';
  message: string;
}

/** From config. `organizationDomains` maps an organization name (compared case-insensitively) to extra domains it owns. */
export interface AliasPolicy {
  allowDomains: string[];
  denyDomains: string[];
  organizationDomains: Record<string, string[]>;
}

/** `memberDomains`: the domains of the members' aliases, so that an alias posing under one is seen. */
export interface AliasCheckInput {
  alias: string | null;
  fromAddress: string;
  fromName: string;
  organization: string | null;
  memberDomains?: readonly string[];
}

export const block = (code: AliasFindingCode, message: string): AliasFinding => ({ code, severity: 'block', message });
