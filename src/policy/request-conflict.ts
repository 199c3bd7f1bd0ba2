/**
 * A pending request stays its applicant's. A From address costs nothing to write, so a new request
 * with the From of a pending one replaces it only when the new one is authenticated (its domain
 * vouches for the sender) or when its sender answers, from that address, the confirmation we mail
 * there. Until then both stay before the moderators, each naming the other. Pure.
 */
import { domainOf, localPartOf } from '../message/address';
import type { RequestRow } from '../store/requests';

/** An address's mailbox: lower case, "+tag" left out of the local part ("Jane+x@A.example" -> "jane@a.example"). */
export function mailboxOf(address: string): string {
  const a = address.trim().toLowerCase();
  const local = localPartOf(a);
  if (local === '' || local === a) return a;
  const plus = local.indexOf('+');
  return `${plus > 0 ? local.slice(0, plus) : local}@${domainOf(a)}`;
}

export function sameMailbox(a: string, b: string): boolean {
  return mailboxOf(a) === mailboxOf(b);
}

export interface ReplacementPlan {
  /** Closed as superseded at once: same address, and the new request is authenticated. */
  replaceNow: RequestRow[];
  /** Replaced only when the applicant confirms from the address: same address, the new request is not authenticated. */
  replaceOnConfirm: RequestRow[];
  /** Everything that stays before the moderators beside the new request (a sub-address's too). */
  beside: RequestRow[];
}

/**
 * What a new request from `applicant` does to the pending ones of the same mailbox. Only the very
 * same address is ever replaced: "jane+x@" may not be jane's on every host, so a sub-address's
 * request is only shown beside.
 */
export function planReplacement(
  applicant: string,
  authenticated: boolean,
  pending: readonly RequestRow[],
): ReplacementPlan {
  const same = pending.filter((r) => r.applicant.toLowerCase() === applicant.toLowerCase());
  const replaceNow = authenticated ? same : [];
  return {
    replaceNow,
    replaceOnConfirm: authenticated ? [] : same,
    beside: pending.filter((r) => !replaceNow.includes(r)),
  };
}

/** The detail of a "confirm" token that asks the applicant to confirm a replacement. */
export interface ReplaceDetail {
  replaces: number[];
}

/** The requests a confirm token's detail says to replace; null for any other confirm token (an alias's subscription). */
export function replacesOf(detail: string | null): number[] | null {
  if (!detail) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return null;
  }
  const replaces = (parsed as Partial<ReplaceDetail> | null)?.replaces;
  return Array.isArray(replaces) && replaces.every((n) => Number.isInteger(n) && n > 0) ? replaces : null;
}
