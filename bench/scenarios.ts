/**
 * The benchmark's scenarios: the backlogs the goals are measured on. Each is run with
 * the bare I/O path beside the daemon, in the same run, once per connection count.
 */

export interface Scenario {
  name: string;
  posts: number;
  members: number;
  /** One configuration (bare path, then daemon) per value. */
  connections: number[];
}

export const SCENARIOS: Record<string, Scenario> = {
  default: { name: 'default', posts: 2000, members: 20, connections: [5, 10] },
  'large-list': { name: 'large-list', posts: 100, members: 1000, connections: [5] },
  'long-backlog': { name: 'long-backlog', posts: 10_000, members: 20, connections: [5] },
};

export const SCENARIO_NAMES = [...Object.keys(SCENARIOS), 'all'];

/** The scenarios named on the command line (`all`: every one, in the order above). */
export function scenariosFor(name: string): Scenario[] {
  if (name === 'all') return Object.values(SCENARIOS);
  const s = SCENARIOS[name];
  if (!s) throw new Error(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}, not ${JSON.stringify(name)}`);
  return [s];
}

/** Seconds a configuration may take (bare path plus daemon), from its number of deliveries. */
export function secondsFor(deliveries: number): number {
  return 120 + Math.ceil(deliveries / 150);
}
