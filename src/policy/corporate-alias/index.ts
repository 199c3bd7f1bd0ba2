/**
 * Membership criterion 1: "an actively monitored security email alias ... This cannot be a personal
 * email address, it must be a corporate address owned by the organization."
 *
 * Pure: the domain lists are loaded once, on first use (domain-lists.ts); checkAlias and
 * registrableDomain do no I/O. Registrable domains come from the Public Suffix List (tldts, ICANN
 * and private sections, so two tenants of a shared host such as a.github.io and b.github.io are
 * different owners). Free-mail providers come from `email-providers` (all.json), disposable ones
 * from `disposable-email-domains` (index.json and wildcard.json): no list of our own.
 *
 * Reading order: check-alias.ts assembles the findings from address.ts (parsing and shape checks),
 * domain-lists.ts, lookalike.ts (a domain posing as another) and personal-name.ts.
 */
export { registrableDomain } from './address';
export { checkAlias } from './check-alias';
export { aliasLists, checkAliasLists } from './domain-lists';
export type { AliasCheckInput, AliasFinding, AliasFindingCode, AliasPolicy } from './types';
