// The soak (`npm run bench -- soak`, not CI): 16 pods on the simulated cluster under `--restarts 30` and
// `--stall-timeout 3s` for at least ten minutes, with a fault every 15 to 25 s once the group runs again:
// a workload killed, a whole pod killed and replaced (index 0 among them), or a workload frozen (SIGSTOP).
// Recorded per fault: the time until every other pod's workload was stopped, and until every pod's ran
// again in the next round. Checked: every round ran in every index exactly once, no round started anywhere
// before every workload of the round before had ended, nothing hung; index 0's memory sampled throughout.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type Pod } from '../harness/cluster/cluster.js';
import { ROLLCALL } from '../harness/built.js';
import { sleep, waitUntil } from '../harness/cluster/wait.js';

export type FaultKind = 'workload killed' | 'pod killed and replaced' | 'workload frozen';

export interface Fault {
  kind: FaultKind;
  index: number;
  /** The round the fault ended. */
  round: number;
  /** Seconds since the soak started. */
  atS: number;
  /** The fault → every other pod's workload of that round stopped (its TERM trap ran). */
  stoppedMs: number;
  /** The fault → every pod's workload running in the next round. */
  runningAgainMs: number;
}

export interface SoakResult {
  pods: number;
  restarts: number;
  stallTimeoutMs: number;
  sessionTimeoutMs: number;
  durationS: number;
  rounds: number;
  faults: Fault[];
  /** Every round ran in every index exactly once (a replacement from the round after it joined). */
  everyRoundEverywhere: boolean;
  /** No round's workload started before every workload of the round before had ended. */
  noEarlyRelease: boolean;
  /** Every recovery came within its bound, and every pod exited 0 at the end. */
  nothingHung: boolean;
  /** Index 0's rollcall resident memory, sampled every 10 s: [seconds since start, MiB, which index 0 pod]. */
  memory: [number, number, number][];
}

const SIZE = 16;
const RESTARTS = 30;
const STALL_TIMEOUT_MS = 3000;
const SESSION_TIMEOUT_MS = 3000;
/** A recovery slower than this is a hang. */
const RECOVERY_BOUND_MS = 90_000;

// Each round's workload marks its start (with its pid and its rollcall's), touches its progress file every
// 100 ms, marks a SIGTERM, and ends when the soak says so.
const WORKLOAD = [
  'sh',
  '-c',
  [
    'r=$ROLLCALL_RESTART_COUNT',
    'echo "START $r $(date +%s%N) $$ $PPID"',
    'trap \'echo "STOPPED $r $(date +%s%N)"; exit 143\' TERM',
    'while [ ! -e "$SOAK_DONE" ]; do touch "$ROLLCALL_PROGRESS_FILE"; sleep 0.1; done',
    'echo "END $r $(date +%s%N)"',
  ].join('; '),
];

interface Mark {
  round: number;
  atMs: number;
  pid: number;
  rollcallPid: number;
}

const wallClockMs = () => performance.timeOrigin + performance.now();

function marks(pod: Pod, word: 'START' | 'STOPPED'): Mark[] {
  const pattern = new RegExp(`^${word} (\\d+) (\\d+)(?: (\\d+) (\\d+))?$`, 'gm');
  return [...pod.report.stdout.matchAll(pattern)].map((match) => ({
    round: Number(match[1]),
    atMs: Number(BigInt(match[2] as string) / 1000n) / 1000,
    pid: Number(match[3] ?? 0),
    rollcallPid: Number(match[4] ?? 0),
  }));
}

async function rssMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kib = status === undefined ? undefined : /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) / 1024;
}

export async function runSoak(minutes: number, log: (line: string) => void): Promise<SoakResult> {
  const cluster = await Cluster.create();
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-soak-'));
  const done = join(dir, 'done');
  const env = {
    ROLLCALL_COUNT: String(SIZE),
    ROLLCALL_RESTARTS: String(RESTARTS),
    ROLLCALL_STALL_TIMEOUT: `${STALL_TIMEOUT_MS}ms`,
    ROLLCALL_SESSION_TIMEOUT: `${SESSION_TIMEOUT_MS}ms`,
    ROLLCALL_GRACE: '1s',
    ROLLCALL_TIMEOUT: '120s',
    ROLLCALL_SECRET: 'soak',
    SOAK_DONE: done,
  };
  const start = (index: number) => cluster.startPod({ job: 'example-job', index, command: [process.execPath, ROLLCALL, '--', ...WORKLOAD], env });
  const every: Pod[] = [];
  const current: Pod[] = [];
  const faults: Fault[] = [];
  /** When each round's fault came, by the round it ended. */
  const faultAt = new Map<number, number>();
  const memory: [number, number, number][] = [];
  let zeroGeneration = 0;
  const startedAt = wallClockMs();
  const since = () => (wallClockMs() - startedAt) / 1000;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const zero = current[0];
      const pid = zero === undefined ? undefined : marks(zero, 'START').at(-1)?.rollcallPid;
      const mib = pid === undefined ? undefined : await rssMiB(pid);
      if (mib !== undefined) memory.push([Math.round(since()), Math.round(mib * 10) / 10, zeroGeneration]);
      await sleep(10_000);
    }
  })();
  let nothingHung = true;
  try {
    for (let index = 0; index < SIZE; index++) {
      const pod = await start(index);
      every.push(pod);
      current.push(pod);
    }
    const runningIn = (round: number) => current.every((pod) => marks(pod, 'START').some((mark) => mark.round === round));
    let round = 0;
    await waitUntil('round 0 to run in every pod', () => runningIn(0), { timeoutMs: RECOVERY_BOUND_MS });
    const random = (below: number) => Math.floor(Math.random() * below);
    // A fault every 15 to 25 s once the group runs again: about 24 in ten minutes, inside the 30 restarts.
    while (since() < minutes * 60 && faults.length < RESTARTS) {
      await sleep(15_000 + random(10_000));
      // Index 0 is replaced once early, so that the index 0 that runs the rest of the soak is measured for long.
      const kinds: FaultKind[] = ['workload killed', 'pod killed and replaced', 'workload frozen'];
      const kind: FaultKind = faults.length === 1 ? 'pod killed and replaced' : (kinds[random(3)] as FaultKind);
      const index = faults.length === 1 ? 0 : 1 + random(SIZE - 1);
      const victim = current[index] as Pod;
      const workload = marks(victim, 'START').find((mark) => mark.round === round);
      if (workload === undefined) throw new Error(`index ${index} runs no workload in round ${round}`);
      const atMs = wallClockMs();
      faultAt.set(round, atMs);
      if (kind === 'workload killed') process.kill(workload.pid, 'SIGKILL');
      if (kind === 'workload frozen') process.kill(workload.pid, 'SIGSTOP');
      if (kind === 'pod killed and replaced') {
        await victim.kill();
        const replacement = await start(index);
        every.push(replacement);
        current[index] = replacement;
        if (index === 0) zeroGeneration++;
      }
      log(`${since().toFixed(0)} s: ${kind}, index ${index}, round ${round}`);
      const next = round + 1;
      try {
        await waitUntil(`round ${next} to run in every pod`, () => runningIn(next), { timeoutMs: RECOVERY_BOUND_MS });
      } catch (error) {
        nothingHung = false;
        log(String(error));
        break;
      }
      const others = current.filter((_, other) => other !== index);
      const stopped = others.map((pod) => marks(pod, 'STOPPED').find((mark) => mark.round === round)?.atMs ?? Number.POSITIVE_INFINITY);
      const running = current.map((pod) => marks(pod, 'START').find((mark) => mark.round === next)?.atMs as number);
      faults.push({ kind, index, round, atS: Math.round((atMs - startedAt) / 100) / 10, stoppedMs: Math.round(Math.max(...stopped) - atMs), runningAgainMs: Math.round(Math.max(...running) - atMs) });
      round = next;
    }
    // The restarts used up early, the group still runs out its time.
    while (nothingHung && since() < minutes * 60) await sleep(1000);
    writeFileSync(done, '');
    const reports = await Promise.all(current.map((pod) => pod.finished(RECOVERY_BOUND_MS).catch(() => undefined)));
    if (reports.some((report) => report?.exitCode !== 0)) nothingHung = false;
    return {
      pods: SIZE,
      restarts: RESTARTS,
      stallTimeoutMs: STALL_TIMEOUT_MS,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      durationS: Math.round(since()),
      rounds: round + 1,
      faults,
      everyRoundEverywhere: everyRoundEverywhere(every, round),
      noEarlyRelease: noEarlyRelease(every, faultAt, round),
      nothingHung: nothingHung && faults.every((fault) => fault.runningAgainMs <= RECOVERY_BOUND_MS),
      memory,
    };
  } finally {
    sampling = false;
    await sampler;
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    await cluster.destroy();
  }
}

/** Each round 0…last started once in each of the 16 indexes, counting the pods that were replaced. */
function everyRoundEverywhere(pods: Pod[], last: number): boolean {
  for (let round = 0; round <= last; round++) {
    const indexes = pods.flatMap((pod) => marks(pod, 'START').filter((mark) => mark.round === round).map(() => pod.report.index));
    if (indexes.length !== SIZE || new Set(indexes).size !== SIZE) return false;
  }
  return true;
}

/**
 * No workload of round r started before every workload of round r − 1 had ended: its TERM mark, or the
 * fault itself for the one killed. A frozen workload cannot mark its end (rollcall kills it after the
 * grace, and reaps it before it arrives at the next round's barrier); its pod's own next start is later
 * than every other pod's end, which the check covers.
 */
function noEarlyRelease(pods: Pod[], faultAt: ReadonlyMap<number, number>, last: number): boolean {
  for (let round = 1; round <= last; round++) {
    const firstStart = Math.min(...pods.flatMap((pod) => marks(pod, 'START').filter((mark) => mark.round === round).map((mark) => mark.atMs)));
    const ends = [...pods.flatMap((pod) => marks(pod, 'STOPPED').filter((mark) => mark.round === round - 1).map((mark) => mark.atMs)), faultAt.get(round - 1) ?? Number.POSITIVE_INFINITY];
    if (ends.some((end) => end > firstStart)) return false;
  }
  return true;
}
