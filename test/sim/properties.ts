import type { History, SimEvent } from './history.js';
import type { SimClock } from './sim-clock.js';
import type { SimPod, SimSettings } from './sim-pod.js';

export interface Run {
  history: History;
  settings: SimSettings;
  pods: SimPod[];
  clock: SimClock;
  endedAt: number;
  capMs: number;
}

/**
 * How long index 0 may take to hear that a killed pod's process is gone: its reset crosses the network
 * (a latency, stalls of up to 60 ms included). A release before that may still count the dead pod.
 */
const RESET_HEARD_MS = 100;
/** A session's silence is looked at six times a session timeout: it ends at most a sixth of one past the timeout. */
const SILENCE_HEARD_AFTER = 7 / 6;

/** Every property of the group's protocol, checked against one run's history: the violations found. */
export function checkProperties(run: Run): string[] {
  return [...neverEarly(run), ...neverForever(run), ...oneAgreedRound(run), ...causesHappened(run), ...stallsInTime(run), ...noTimerLeft(run)];
}

/**
 * Index 0 looks every quarter of a second, and a member's progress reaches it at most 250 ms later, so a
 * stall is named after the timeout, and within it and 750 ms (messages' latency aside).
 */
const STALL_SLACK_MS = 750 + 2 * 60;

/**
 * A stall is named no sooner than the stall timeout after the pod's last progress, and not much later than
 * that after the last moment index 0 could hear it: its last progress; a cut link's healing, which lets
 * progress held up by it through (a partition delays frames, it does not lose them); or its session's
 * return after a blip (silence over a closed session is not judged; a hung workload is watched again from
 * its return). A new index 0 that takes the verdict its members hold names nothing: only the first naming counts.
 */
function stallsInTime({ history, settings }: Run): string[] {
  const violations: string[] = [];
  const verdicts = [...history.of('judged'), ...history.of('verdict')];
  for (const judged of history.of('judged').filter((entry) => entry.fields.how === 'stalled')) {
    const index = Number(judged.fields.failed);
    const round = Number(judged.fields.round);
    const told = verdicts.some((entry) => entry.at < judged.at && entry.fields.how === 'stalled' && Number(entry.fields.failed) === index && Number(entry.fields.round) === round);
    if (told) continue;
    const last = history.events.filter((entry) => entry.index === index && entry.event === 'progress' && Number(entry.fields.round) === round && entry.at <= judged.at).at(-1);
    if (last === undefined) {
      violations.push(`stalls in time: index ${index} named stalled in round ${round} without having reported progress`);
      continue;
    }
    const silentMs = judged.at - last.at;
    if (silentMs < settings.stallTimeoutMs && !linkCut(history, [index, 0], judged.at)) violations.push(`stalls in time: index ${index} named stalled ${silentMs.toFixed(0)} ms after its last progress, before the ${settings.stallTimeoutMs} ms timeout`);
    const back = history.events.filter((entry) => ((entry.index === index && entry.event === 'linked') || ([index, 0].includes(entry.index) && entry.event === 'healed')) && entry.at > last.at && entry.at <= judged.at).at(-1);
    const unheardMs = judged.at - (back?.at ?? last.at);
    if (unheardMs > settings.stallTimeoutMs + STALL_SLACK_MS) violations.push(`stalls in time: index ${index} named stalled ${unheardMs.toFixed(0)} ms after ${back === undefined ? 'its last progress' : back.event === 'healed' ? 'a cut link healed' : 'its session came back'} (timeout ${settings.stallTimeoutMs} ms)`);
  }
  return violations;
}

/**
 * Nobody is released early: when a barrier first opens, every index has arrived at it, and the pod whose
 * arrival counts was not killed long enough before for index 0 to have heard (a pod that died after
 * arriving no longer counts, unless a newer one at its index arrived again).
 */
function neverEarly({ history, settings }: Run): string[] {
  const violations: string[] = [];
  const firstRelease = new Map<string, SimEvent>();
  for (const release of history.of('released')) {
    const barrier = String(release.fields.barrier);
    if (!firstRelease.has(barrier)) firstRelease.set(barrier, release);
  }
  const killedAt = new Map(history.of('killed').map((entry) => [entry.pod, entry.at]));
  const lostWithNode = new Set(history.of('killed').filter(nodeLost).map((entry) => entry.pod));
  for (const [barrier, release] of firstRelease) {
    // An elastic group's release names its members: at least the fewest, each of them arrived.
    const named = release.fields.members === undefined ? undefined : String(release.fields.members).split(',').map(Number);
    if (named !== undefined && named.length < (settings.min ?? settings.size)) violations.push(`never early: ${barrier} opened at ${release.at.toFixed(1)} ms with ${named.length} members, fewer than ${settings.min}`);
    for (const index of named ?? Array.from({ length: settings.size }, (_, at) => at)) {
      const arrivals = history.of('arrive').filter((entry) => entry.index === index && entry.fields.barrier === barrier && entry.at <= release.at);
      const last = arrivals.at(-1);
      if (last === undefined) {
        violations.push(`never early: ${barrier} opened at ${release.at.toFixed(1)} ms (${release.pod} released) before index ${index} arrived`);
        continue;
      }
      const killed = killedAt.get(last.pod);
      // A barrier can open while index 0 is cut off (an elastic round's last call ends, or index 0 itself
      // arrives last): a pod killed then is one it could not hear go. Nor one whose node died with it,
      // until its session's silence has lasted the session timeout.
      const unheard =
        killed !== undefined &&
        (partitionedBetween(history, release.index, killed, release.at) || (lostWithNode.has(last.pod) && killed >= release.at - SILENCE_HEARD_AFTER * settings.sessionTimeoutMs - RESET_HEARD_MS));
      if (killed !== undefined && killed < release.at - RESET_HEARD_MS && !unheard) {
        violations.push(`never early: ${barrier} opened at ${release.at.toFixed(1)} ms counting ${last.pod}, killed at ${killed.toFixed(1)} ms`);
      }
    }
  }
  return violations;
}

/**
 * Never forever: every pod that is running has exited well before the cap (every wait is bounded). But
 * for one whose workload hung before it ever reported progress in its round: that one runs on, as the
 * stall watch promises (a workload that never reports, as one still loading its model, is never called
 * stalled), and only its own pod's.
 */
function neverForever({ pods, endedAt, capMs, history }: Run): string[] {
  const hungUnwatched = (id: string) => {
    const round = history.events.filter((entry) => entry.pod === id && entry.event === 'running').at(-1)?.fields.round;
    const mine = (event: string) => history.events.some((entry) => entry.pod === id && entry.event === event && entry.fields.round === round);
    return round !== undefined && mine('silent') && !mine('progress');
  };
  const stuck = pods.filter((pod) => pod.alive && !hungUnwatched(pod.id));
  return stuck.length === 0 ? [] : [`never forever: ${stuck.map((pod) => pod.id).join(', ')} still running at ${(endedAt / 1000).toFixed(1)} s (cap ${capMs / 1000} s)`];
}

/**
 * One agreed round: the verdicts on round k name one next round, no round runs beyond the restarts (those
 * an elastic group's changes of membership started use none), and a round runs only after a verdict on
 * the round before named it. Index 0's verdicts and the members' own
 * on losing index 0 may differ only when index 0 was in fact cut off or gone: then neither side can hear
 * the other (and no round can assemble without index 0).
 */
function oneAgreedRound({ history, settings }: Run): string[] {
  const violations: string[] = [];
  const epochOf = groupEpochs(history);
  // Keyed by the group's epoch and the round: a new group counts its rounds from 0 again.
  const nexts = new Map<string, Set<string>>();
  /** The rounds a change of membership ended: the round after it used no restart. */
  const changed = new Set<string>();
  const sides = new Map<string, { round: number; referee: Set<string>; members: Set<string> }>();
  for (const verdict of [...history.of('verdict'), ...history.of('judged')]) {
    const round = Number(verdict.fields.round);
    const key = `${epochOf(verdict.at)}:${round}`;
    const next = String(verdict.fields.next);
    if (verdict.fields.membership === true) changed.add(key);
    const seen = nexts.get(key) ?? new Set<string>();
    seen.add(next);
    nexts.set(key, seen);
    const side = sides.get(key) ?? { round, referee: new Set<string>(), members: new Set<string>() };
    const indexZeroLost = verdict.fields.failed === 0 && (verdict.fields.how === 'vanished' || verdict.fields.how === 'replaced');
    // A member cut off itself judged alone, as it must; it never runs a round without index 0.
    const cutOff = indexZeroLost && history.events.some((entry) => entry.pod === verdict.pod && entry.at <= verdict.at && ['partitioned', 'sessions-reset'].includes(entry.event));
    if (!cutOff) (indexZeroLost ? side.members : side.referee).add(next);
    sides.set(key, side);
  }
  const indexZeroCut = history.events.some((entry) => entry.index === 0 && ['killed', 'partitioned', 'sessions-reset'].includes(entry.event));
  for (const { round, referee, members } of sides.values()) {
    const all = new Set([...referee, ...members]);
    if (referee.size > 1 || members.size > 1 || (all.size > 1 && !indexZeroCut)) violations.push(`one agreed round: verdicts on round ${round} name different next rounds (index 0's: ${[...referee].join(', ') || 'none'}; the members' own: ${[...members].join(', ') || 'none'})`);
  }
  for (const running of history.of('running')) {
    const round = Number(running.fields.round);
    const epoch = epochOf(running.at);
    const used = Array.from({ length: round }, (_, before) => before).filter((before) => !changed.has(`${epoch}:${before}`)).length;
    if (used > settings.restarts) violations.push(`one agreed round: ${running.pod} runs round ${round}, ${used} of them restarts, with ${settings.restarts} restarts`);
    if (round > 0 && !nexts.get(`${epoch}:${round - 1}`)?.has(String(round))) violations.push(`one agreed round: ${running.pod} runs round ${round}, which no verdict on round ${round - 1} named`);
  }
  return violations;
}

/**
 * A new index 0 that starts when no pod that ran a round is alive any more starts a new group: nobody is
 * left to tell it the old one's round (an elastic group can assemble again from pods that came late).
 * Each such start begins an epoch; the function gives the epoch of a moment.
 */
function groupEpochs(history: History): (at: number) => number {
  const exitedAt = new Map<string, number>();
  for (const entry of history.events) if (entry.event === 'exit' || entry.event === 'killed') exitedAt.set(entry.pod, Math.min(exitedAt.get(entry.pod) ?? entry.at, entry.at));
  const ranAt = new Map<string, number>();
  for (const entry of history.of('running')) if (!ranAt.has(entry.pod)) ranAt.set(entry.pod, entry.at);
  const starts = history
    .of('started')
    .filter((entry) => entry.index === 0 && entry.generation > 0)
    .map((entry) => entry.at)
    .filter((at) => ![...ranAt].some(([pod, ran]) => ran <= at && (exitedAt.get(pod) ?? Number.POSITIVE_INFINITY) > at));
  return (at) => starts.filter((start) => start <= at).length;
}

/** Every stop names a cause that happened: the workload's exit it names, a pod gone, or a newer one in its place. */
function causesHappened({ history }: Run): string[] {
  const violations: string[] = [];
  for (const verdict of [...history.of('judged'), ...history.of('verdict')]) {
    const index = Number(verdict.fields.failed);
    const round = Number(verdict.fields.round);
    const before = history.events.filter((entry) => entry.index === index && entry.at <= verdict.at);
    const how = String(verdict.fields.how);
    const happened =
      how === 'exit' || how === 'signal'
        ? before.some((entry) => entry.event === 'workload-ended' && Number(entry.fields.round) === round && entry.fields.exitCode === verdict.fields.exitCode && entry.fields.signal === verdict.fields.signal)
        : how === 'vanished'
          ? // Gone for the judge: the pod went, or the judge's own link (or index 0's, which told it) was cut.
            history.events.some((entry) => [index, verdict.index, 0].includes(entry.index) && entry.at <= verdict.at && ['killed', 'partitioned', 'sessions-reset', 'exit'].includes(entry.event))
          : how === 'replaced'
            ? before.some((entry) => entry.event === 'started' && entry.generation > 0)
            : how === 'joined'
              ? // An elastic group grows by a pod that started after the round released without it.
                before.some((entry) => entry.event === 'started')
            : how === 'stalled'
              ? // Its workload went silent, or its progress could not get through: a cut link looks the
                // same to index 0 until the session times out, and a stall timeout may be the shorter.
                before.some((entry) => entry.event === 'silent' && Number(entry.fields.round) === round) || linkCut(history, [index, 0], verdict.at)
              : false;
    // A pod told to go (SIGTERM) leaves: its workload's end, or the leaving itself, names the signal.
    const leaving = how === 'signal' && verdict.fields.signal === 'SIGTERM' && before.some((entry) => entry.event === 'sigterm');
    if (!happened && !leaving) violations.push(`causes happened: ${verdict.pod} holds a verdict on round ${round} naming index ${index} ${how}${verdict.fields.exitCode === null ? '' : ` ${String(verdict.fields.exitCode)}`}, which did not happen`);
  }
  return violations;
}

/** Whether `index` was cut off at some moment from `from` to `to`. */
function partitionedBetween(history: History, index: number, from: number, to: number): boolean {
  return history.events.some((entry) => entry.index === index && entry.event === 'partitioned' && entry.at <= to && entry.at + Number(entry.fields.forMs) >= from);
}

/** Whether a link between these indexes and the rest was cut (or reset) before `at`: what it said may not have got through. */
function linkCut(history: History, indexes: number[], at: number): boolean {
  return history.events.some((entry) => indexes.includes(entry.index) && entry.at <= at && (['partitioned', 'sessions-reset'].includes(entry.event) || nodeLost(entry)));
}

/** A pod killed with its node: no reset tells anyone, and its silence is all index 0 hears until a session timeout. */
function nodeLost(entry: SimEvent): boolean {
  return entry.event === 'killed' && entry.fields.nodeLost === true;
}

/** No timer left behind: a pod held no timer as it exited. */
function noTimerLeft({ pods }: Run): string[] {
  return pods.filter((pod) => pod.exitCode !== undefined && pod.timersAtExit > 0).map((pod) => `no timer left: ${pod.id} exited with ${pod.timersAtExit} timers still armed`);
}
