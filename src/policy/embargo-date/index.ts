/**
 * The embargo end of a disclosure, read from its text. Pure: no I/O, the clock is passed in.
 * Files: lines (finding the embargo lines), value (reading one value), iso (ISO 8601, parsed
 * here) and written (English dates, via chrono-node), mention, zones and summer-time (zone rules),
 * format (formatUtc, quoting mail text back), find (the entry points), upstream, types.
 *
 * What is read, and what is refused (security teams must not guess):
 * - ISO 8601 date and time, parsed here (not by chrono): 2026-12-03T16:00:00Z, 2026-12-03 16:00 UTC,
 *   2026-12-03T16:00+01:00, 2026-12-03 16:00 -0500, with optional seconds, fraction and am/pm.
 * - Written forms, parsed by chrono-node's strict English parser: "3 December 2026 16:00 UTC",
 *   "Dec 3, 2026 4pm UTC", "Thursday, December 3rd 2026 at 16:00 UTC". The year must be written;
 *   relative or casual words ("tomorrow", "next Thursday", "noon", "midnight") are not read.
 * - Numeric day/month forms (12/03/2026, 3.12.2026, 03-12-2026, 12/03) are refused: 03/12 is
 *   3 December in Europe and March 12 in the US. Only year-first numeric dates are read.
 * - A time zone is required. A date-time without one, and a date without a time, are refused.
 * - Zones read: UTC, UT, GMT, Z; numeric offsets (+02:00, +0200, +02, UTC+2, GMT-05:00, up to ±14:00);
 *   and the abbreviations in ZONES (./zones), each a fixed offset. Abbreviations that name two zones
 *   (CST, IST, BST, AST) or a zone whose offset moves (ET, CT, MT, PT), IANA names (Europe/Berlin)
 *   and unknown words are refused. A standard-time name on a summer date ("16:00 CET" in July) or a
 *   summer-time name on a winter date is refused too, since people write "CET" for "Berlin time".
 * - An end equal to now is past; an end exactly maxDays from now is allowed.
 */

export { findEmbargoEnd, parseEmbargoDate } from './find';
export { formatKeyword, formatUtc, formatWords } from './format';
export type { EmbargoEnd, EmbargoOptions, EmbargoProblem, EmbargoProposal } from './types';
export { isUpstreamNotice } from './upstream';
