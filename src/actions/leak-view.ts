/** What every mail about a leak is told of it: who reported it, in which thread, and who leaked. */
import { leakCandidates, type LeakRow } from '../store/leaks';

export interface LeakPeople {
  id: number;
  disclosure: number;
  reporter: string;
  reporterOrganization: string;
  /** The alias the leak is attributed to, or '' when none (the templates then say why). */
  leaker: string;
  leakerOrganization: string;
  /** What the report wrote after "Leaked by:". */
  claim: string;
  candidates: string[];
  isSelf: boolean;
  isNamed: boolean;
  isAmbiguous: boolean;
  isUnknown: boolean;
  isUnattributed: boolean;
}

export function leakPeople(l: LeakRow): LeakPeople {
  return {
    id: l.id,
    disclosure: l.disclosure_id,
    reporter: l.reporter,
    reporterOrganization: l.reporter_organization,
    leaker: l.leaker ?? '',
    leakerOrganization: l.leaker_organization ?? '',
    claim: l.leaker_named ?? '',
    candidates: leakCandidates(l),
    isSelf: l.attribution === 'self',
    isNamed: l.attribution === 'named',
    isAmbiguous: l.attribution === 'ambiguous',
    isUnknown: l.attribution === 'unknown',
    isUnattributed: l.attribution === 'unattributed',
  };
}
