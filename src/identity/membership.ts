import { ConfigError } from '../errors.js';
import { isDnsLabel } from './names.js';

/** One part of a group across Jobs: a JobSet's replicatedJob, `jobs` Jobs of `completions` pods each. */
export interface GroupPart {
  name: string;
  jobs: number;
  completions: number;
}

/** Where a member sits within its part: the part's name, and its place there (Job by Job, then pod). */
export interface PartPlace {
  name: string;
  index: number;
}

/** Kubernetes refuses an Indexed Job with more completions; a larger group would only exhaust the heap. */
export const MAX_GROUP_SIZE = 100_000;

/** How the members' pods are named: an Indexed Job's, a JobSet's Jobs', or a LeaderWorkerSet group's. */
type Naming = 'job' | 'parts' | 'leader';

/**
 * Who is in the group, by rank, and what each member's pod is called. The one place that knows the group's
 * size and builds a member's hostname: one Indexed Job's pods (`<job>-<i>`); the pods of several Jobs
 * named as JobSet names them (`<jobset>-<part>-<jobIndex>-<podIndex>`), ranked part by part in the order
 * given, then Job by Job, then by completion index; or a LeaderWorkerSet group, its leader `<lws>-<g>` and
 * its workers `<lws>-<g>-<i>`.
 */
export class Membership {
  private readonly starts: number[];

  private constructor(
    private readonly naming: Naming,
    /** The group's name on the wire: the Job's, the JobSet's, or the LeaderWorkerSet leader's. */
    readonly name: string,
    /** Empty but for a JobSet's. */
    readonly parts: readonly GroupPart[],
    /** The most members: every pod the Job may have. */
    readonly size: number,
    /**
     * The fewest members a round may run with. Below `size`, the group is elastic: a round releases with
     * whoever is there once `min` are and no newcomer came for the last call.
     */
    readonly min: number = size,
  ) {
    let start = 0;
    this.starts = parts.map((part) => {
      const at = start;
      start += part.jobs * part.completions;
      return at;
    });
  }

  /** One Indexed Job of `count` pods, or an elastic one of `min` to `count`. */
  static ofJob(job: string, count: number, min = count): Membership {
    return new Membership('job', job, [], count, min);
  }

  get elastic(): boolean {
    return this.min < this.size;
  }

  static ofParts(group: string, parts: readonly GroupPart[]): Membership {
    return new Membership('parts', group, parts, parts.reduce((sum, part) => sum + part.jobs * part.completions, 0));
  }

  /** A LeaderWorkerSet group: the leader's pod name, and LWS_GROUP_SIZE. */
  static ofLeader(leader: string, size: number): Membership {
    return new Membership('leader', leader, [], size);
  }

  /** The hostname Kubernetes gives the member of this rank. */
  hostname(rank: number): string {
    if (this.naming === 'leader') return rank === 0 ? this.name : `${this.name}-${rank}`;
    const place = this.locate(rank);
    if (place === undefined) return `${this.name}-${rank}`;
    return `${this.name}-${place.part.name}-${place.job}-${place.pod}`;
  }

  /** The member's part and its index within it; undefined for a group of one Job. */
  part(rank: number): PartPlace | undefined {
    const place = this.locate(rank);
    return place === undefined ? undefined : { name: place.part.name, index: place.job * place.part.completions + place.pod };
  }

  /** The rank of a member's Job and completion index within a part. */
  rankOf(part: GroupPart, job: number, pod: number): number {
    return (this.starts[this.parts.indexOf(part)] ?? 0) + job * part.completions + pod;
  }

  /** What a log says of the group: `job`, `jobset (driver 1 + workers 2×4)`, or `lws-0 (a leader and 3 workers)`. */
  describe(): string {
    if (this.naming === 'leader') return `${this.name} (a leader and ${this.size - 1} workers)`;
    if (this.naming === 'job') return this.elastic ? `${this.name} (${this.min} to ${this.size} pods)` : this.name;
    return `${this.name} (${this.parts.map((part) => `${part.name} ${part.jobs === 1 ? '' : `${part.jobs}×`}${part.completions}`).join(' + ')})`;
  }

  private locate(rank: number): { part: GroupPart; job: number; pod: number } | undefined {
    for (let at = this.parts.length - 1; at >= 0; at--) {
      const start = this.starts[at] as number;
      if (rank < start) continue;
      const part = this.parts[at] as GroupPart;
      const within = rank - start;
      return { part, job: Math.floor(within / part.completions), pod: within % part.completions };
    }
    return undefined;
  }
}

/**
 * `ROLLCALL_GROUP`: the group's parts in rank order, `name:pods` for a part of one Job, `name:JOBSxPODS`
 * for a replicatedJob of several (`driver:1,workers:2x4`).
 */
export function parseGroupParts(variable: string, value: string): GroupPart[] {
  const hint = 'List the parts in rank order as name:pods or name:JOBSxPODS, e.g. "driver:1,workers:4" or "driver:1,workers:2x4".';
  const parts = value.split(',').map((entry) => {
    const match = /^\s*([^:\s]+)\s*:\s*(?:(\d+)\s*[x×]\s*)?(\d+)\s*$/.exec(entry);
    if (match === null) throw new ConfigError(variable, value, `has a part "${entry.trim()}" that is not name:pods or name:JOBSxPODS`, hint);
    const [, name, jobs, completions] = match as unknown as [string, string, string | undefined, string];
    if (!isDnsLabel(name)) throw new ConfigError(variable, value, `has a part name "${name}" that is not a DNS-1123 label, as a replicatedJob's name is`, hint);
    const part = { name, jobs: jobs === undefined ? 1 : Number(jobs), completions: Number(completions) };
    if (part.jobs < 1 || part.completions < 1) throw new ConfigError(variable, value, `gives part "${name}" no pods`, 'Every part has at least one Job of at least one pod.');
    return part;
  });
  const names = parts.map((part) => part.name);
  const twice = names.find((name, at) => names.indexOf(name) !== at);
  if (twice !== undefined) throw new ConfigError(variable, value, `names the part "${twice}" twice`, 'Give each part (each replicatedJob) once.');
  const size = parts.reduce((sum, part) => sum + part.jobs * part.completions, 0);
  if (size > MAX_GROUP_SIZE) throw new ConfigError(variable, value, `makes a group of ${size.toLocaleString('en-US')} pods, above ${MAX_GROUP_SIZE.toLocaleString('en-US')}`, hint);
  return parts;
}

/** This pod's place in a group across Jobs, read from its hostname `<group>-<part>-<jobIndex>-<podIndex>`. */
export interface HostnamePlace {
  group: string;
  part: GroupPart;
  job: number;
  pod: number;
}

/**
 * Every reading of the hostname as `<group>-<part>-<jobIndex>-<podIndex>` for a part of the list (a group
 * name may itself hold a part's name, so there can be several; `group` narrows them to one).
 */
export function placesInHostname(hostname: string, parts: readonly GroupPart[], group?: string): HostnamePlace[] {
  const short = hostname.split('.')[0] ?? hostname;
  const places: HostnamePlace[] = [];
  for (const part of parts) {
    const match = new RegExp(`^(.+)-${part.name}-(\\d+)-(\\d+)$`).exec(short);
    if (match === null) continue;
    const [, name, job, pod] = match as unknown as [string, string, string, string];
    if (group === undefined || group === name) places.push({ group: name, part, job: Number(job), pod: Number(pod) });
  }
  return places;
}
