/** The shapes sender authentication speaks in: the verdict, header fields, options, the DNS resolver. */

export interface AuthVerdict {
  authenticated: boolean;
  /** How it was established; null when it was not. */
  method: 'authentication-results' | 'dkim-verified' | 'openpgp-signature' | null;
  /** The From domain that was judged, lower-case ASCII; '' when the From is not one address. */
  fromDomain: string;
  /** What was looked at, for `explain` and the audit, one sentence each, in the order seen. */
  evidence: string[];
  /** The one finding that settled the verdict, naming the header field by its position (top = 1). */
  decidedBy: string;
  /**
   * A trusted result failed or contradicted another: nothing else may make this sender
   * authenticated, not even the daemon's own verification.
   */
  failed: boolean;
  /**
   * method 'openpgp-signature': our tokens inside what the signature covers. A keyword acts only
   * on a token listed here (policy/command-auth): the outer In-Reply-To and Subject are not signed.
   */
  signedTokens?: string[];
  /**
   * method 'openpgp-signature': the signature that authenticated, which authenticates one message
   * only (store/signatures: a copy sent again under a new Message-ID is a replay).
   */
  signature?: { id: string; fingerprint: string; signedAt: string | null };
}

/** One header field, in message order (top first), value unfolded. */
export interface RawHeaderField {
  name: string;
  value: string;
}

/**
 * A DNS resolver in the shape mailauth expects for its `resolver` option, the shape of
 * `dns.promises.resolve(name, rrtype)`: mailauth asks only for 'TXT' here (the DKIM key at
 * `<selector>._domainkey.<domain>`, the DMARC record at `_dmarc.<domain>`), and a TXT answer is
 * one array of strings per record, the record's character-strings in order
 * (`[['v=DKIM1; k=rsa; p=MIIB', '...']]`). A name without records is reported by throwing an
 * Error whose `code` is 'ENOTFOUND' or 'ENODATA', as node's dns does; any other thrown code
 * makes the check a temperror, which never authenticates.
 */
export type TxtResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

export interface JudgeOptions {
  /**
   * How many Received header fields the receiving side writes above its own
   * Authentication-Results. 0 (the default) when the trusted host prepends its results above
   * its Received; 1 when, for example, a Dovecot LMTP delivery adds one more Received on top.
   * A trusted-id Authentication-Results below more Received fields than this was not added on
   * receipt and is never believed.
   */
  maxReceivedAbove?: number;
}

export interface AuthenticateOptions extends JudgeOptions {
  trustedAuthservIds: string[];
  /** Also verify DKIM and DMARC with mailauth when the Authentication-Results do not suffice. */
  verify: boolean;
  resolver?: TxtResolver;
  /** The clock for DKIM signature expiry (x=); defaults to now. */
  now?: Date;
}
