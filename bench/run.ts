// `npm run bench` (as root): measures rollcall against the task page's ping loop and at scale, prints a
// table, writes bench/results.json and bench/release-lag.svg with the machine noted. `--quick` is the
// reduced run CI makes so that the suite cannot rot; it writes to --out (a temp file) instead.
// `--only startup` measures start-up alone (the npm CLI and the single executable), `--only life` the group's life
// alone, `--only launch` remote launch (mpirun over rollcall exec and over ssh), `--only stall` a stall named,
// `--only status` how fast `rollcall status` answers, `--only groups` a JobSet's group against one Job's,
// `--only elastic` an elastic group's release after the last call and its changes of membership;
// each writes only to --out (a file, or a folder to write results.json into). `soak` (`npm run bench -- soak [--minutes M]`, not CI) runs the long soak alone
// and writes bench/soak.json and docs/soak.svg.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { missingRequirements } from '../harness/requirements.js';
import { releaseLagChart, soakChart } from './chart.js';
import { runSoak } from './soak.js';
import { DNS_SETTINGS, runReleaseLag, type Contender, type DnsSetting, type LagResult, type Layout } from './release-lag.js';
import { runScale, type ScaleResult } from './scale.js';
import { runLife, type LifeResult } from './life.js';
import { runElastic, type ElasticResult } from './elastic.js';
import { runLargestGroup, type LargestGroupResult } from './largest-group.js';
import { runStartup, type StartupResult } from './startup.js';
import { runLaunch, type LaunchResult } from './launch.js';
import { runStall, type StallResult } from './stall.js';
import { runStatus, type StatusResult } from './status.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PING_LOOP = resolve(HERE, '../../shared/reference/ping-loop.sh');
/** An exited pod's record lingers this long, as endpoint propagation takes in a cluster; the same for everyone. */
const DEFAULT_GONE_DELAY_MS = 1000;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { quick: { type: 'boolean' }, out: { type: 'string' }, 'gone-delay-ms': { type: 'string' }, only: { type: 'string' }, minutes: { type: 'string' } } });
if (positionals.some((word) => word !== 'soak')) throw new TypeError(`the only part named without --only is "soak", got "${positionals.join(' ')}"`);
const quick = values.quick === true;
const out = outPath(values.out);
if (values.only !== undefined && !['startup', 'life', 'launch', 'stall', 'status', 'groups', 'elastic'].includes(values.only)) throw new TypeError(`--only takes "startup", "life", "launch", "stall", "status", "groups" or "elastic", got "${values.only}"`);
/** Anything but the one part asked for is skipped. */
const onlyOther = (part: string) => values.only !== undefined && values.only !== part;
const GONE_DELAY_MS = values['gone-delay-ms'] === undefined ? DEFAULT_GONE_DELAY_MS : Number(values['gone-delay-ms']);
const plan = quick
  ? // Enough to run every part once (CI's guard against rot); the cached setting is still met by the groups part.
    { groupN: 8, ns: [8], peers: 1000, arrivals: 1000, startupRuns: 5, statusRuns: 3, strandedAfterMs: 30_000, settings: [DNS_SETTINGS.noCache], launch: { n: 4, runs: 2, bytes: 20e6 } }
  : {
      groupN: 65,
      launch: { n: 16, runs: 5, bytes: 1e9 },
      ns: [16, 64],
      peers: 10_000,
      arrivals: 10_000,
      startupRuns: 30,
      statusRuns: 15,
      strandedAfterMs: 90_000,
      settings: [DNS_SETTINGS.atStart, DNS_SETTINGS.noCache, DNS_SETTINGS.cached5, DNS_SETTINGS.cached30, DNS_SETTINGS.dnsmasq5] as DnsSetting[],
    };
/** What `topology: auto` picks at these sizes with the default probe, decided from this matrix. */
const DEFAULT_TOPOLOGY: Contender = 'rollcall star';

const missing = missingRequirements(['root', 'dnsmasq', 'ip', 'nft', 'unshare', 'ping', ...(onlyOther('launch') || positionals.includes('soak') ? [] : (['openmpi', 'sshd'] as const))]);
if (missing.length > 0) {
  process.stderr.write(`bench: needs ${missing.join(', ')}\n`);
  process.exit(1);
}
const withBaseline = existsSync(PING_LOOP);
if (!withBaseline) {
  if (process.env.CI === 'true') {
    process.stderr.write(`bench: the baseline ${PING_LOOP} (../shared/reference beside the repository) is missing\n`);
    process.exit(1);
  }
  process.stderr.write(`bench: ${PING_LOOP} is absent: the ping-loop baseline is skipped\n`);
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`;
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
log(machine);

if (positionals.includes('soak')) {
  const minutes = values.minutes === undefined ? 10 : Number(values.minutes);
  log(`soak: ${minutes} min, 16 pods, --restarts 30, --stall-timeout 3s, a fault every 15 to 25 s`);
  const soak = await runSoak(minutes, log);
  const date = new Date().toISOString();
  writeFileSync(join(HERE, 'soak.json'), `${JSON.stringify({ date, machine, ...soak }, null, 2)}\n`);
  writeFileSync(join(HERE, '../docs/soak.svg'), soakChart(soak, `${machine}, ${date.slice(0, 10)}`));
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const byKind = (['workload killed', 'pod killed and replaced', 'workload frozen'] as const).map((kind) => {
    const of = soak.faults.filter((fault) => fault.kind === kind);
    const worst = (pick: (fault: (typeof of)[number]) => number) => (of.length === 0 ? '–' : seconds(Math.max(...of.map(pick))));
    return `| ${kind} | ${of.length} | ${worst((fault) => fault.stoppedMs)} | ${worst((fault) => fault.runningAgainMs)} |`;
  });
  const memory = soak.memory.filter(([, , generation]) => generation === Math.max(...soak.memory.map(([, , each]) => each)));
  const [first, last] = [memory[0], memory.at(-1)];
  process.stdout.write(
    [
      `Soak on ${machine}, ${date.slice(0, 10)}: ${soak.pods} pods, ${Math.round(soak.durationS / 60)} min, ${soak.faults.length} faults, ${soak.rounds} rounds.`,
      '',
      '| fault | count | every other workload stopped (max) | all running again (max) |',
      '| --- | --- | --- | --- |',
      ...byKind,
      '',
      ...soak.faults
        .filter((fault) => fault.kind === 'pod killed and replaced' && fault.index === 0)
        .map((fault) => `Index 0 replaced at ${fault.atS} s: next round running everywhere ${seconds(fault.runningAgainMs)} after (target ≤ session timeout + 5 s = ${seconds(soak.sessionTimeoutMs + 5000)}: ${fault.runningAgainMs <= soak.sessionTimeoutMs + 5000 ? 'met' : '**not met**'}).`),
      `Every round in every index once: ${soak.everyRoundEverywhere ? 'yes' : '**no**'}; no early release: ${soak.noEarlyRelease ? 'yes' : '**no**'}; nothing hung: ${soak.nothingHung ? 'yes' : '**no**'}.`,
      first === undefined || last === undefined ? 'Index 0 memory: not sampled.' : `Index 0 (the one that ran from ${first[0]} s) resident memory: ${first[1]} MiB at ${first[0]} s, ${last[1]} MiB at ${last[0]} s (${((last[1] / first[1] - 1) * 100).toFixed(1)}%; target ≤ +10%).`,
      '',
    ].join('\n'),
  );
  process.exit(soak.everyRoundEverywhere && soak.noEarlyRelease && soak.nothingHung ? 0 : 1);
}

const lag: LagResult[] = [];
const lagNs = values.only !== undefined ? [] : plan.ns;
const contenders: Contender[] = ['rollcall star', 'rollcall mesh', ...(withBaseline ? (['ping loop'] as const) : [])];
for (const setting of lagNs.length === 0 ? [] : plan.settings) {
  for (const n of lagNs) {
    for (const contender of contenders) {
      log(`release lag (${setting.name}): ${contender}, N=${n}`);
      lag.push(await runReleaseLag({ n, setting, contender, pingLoop: PING_LOOP, spreadMs: 1000, lateMs: 3000, strandedAfterMs: plan.strandedAfterMs, goneDelayMs: GONE_DELAY_MS }));
    }
  }
}

const scale: ScaleResult[] = [];
if (values.only === undefined) {
  log(`one pod verifying ${plan.peers} peers (mesh)`);
  scale.push(await runScale(plan.peers, 'mesh', 15353));
  log(`a star coordinator taking ${plan.arrivals} arrivals`);
  scale.push(await runScale(plan.arrivals, 'star', 15354));
}

let largest: LargestGroupResult | undefined;
if (values.only === undefined && !quick) {
  log('the largest group Kubernetes allows: memory of index 0 and of a member at 100,000, waiting 20 s');
  largest = await runLargestGroup(20_000);
}

const life: LifeResult[] = [];
for (const n of onlyOther('life') ? [] : plan.ns) {
  log(`the group's life: a failure, a restart round, the exit barrier and a silent pod, N=${n}`);
  life.push(await runLife(n));
}

const startup: StartupResult | undefined = onlyOther('startup') ? undefined : (log(`CLI start-up, ${plan.startupRuns} runs`), await runStartup(plan.startupRuns));

const stalls: StallResult[] = [];
for (const n of onlyOther('stall') ? [] : plan.ns) {
  log(`a stall: one workload stops reporting progress, --stall-timeout 3s, N=${n}`);
  stalls.push(await runStall(n));
}

const statuses: StatusResult[] = [];
for (const n of onlyOther('status') ? [] : plan.ns) {
  log(`rollcall status from a pod, N=${n}, ${plan.statusRuns} runs`);
  statuses.push(await runStatus(n, plan.statusRuns));
}

// A JobSet's driver and workers as one group, against one Job of as many pods: the same release, the same DNS.
const groups: LagResult[] = [];
for (const layout of onlyOther('groups') ? [] : (['one Job', 'JobSet 1 + N−1'] as Layout[])) {
  log(`a group across Jobs: ${layout}, N=${plan.groupN}, rollcall star, ${DNS_SETTINGS.cached5.name}`);
  groups.push(await runReleaseLag({ n: plan.groupN, setting: DNS_SETTINGS.cached5, contender: 'rollcall star', layout, pingLoop: PING_LOOP, spreadMs: 1000, lateMs: 3000, strandedAfterMs: plan.strandedAfterMs, goneDelayMs: GONE_DELAY_MS }));
}

const elastic: ElasticResult[] = [];
for (const n of onlyOther('elastic') ? [] : plan.ns) {
  log(`an elastic group ${n - 1}:${n}: released after the last call, a pod joins, then leaves, N=${n}`);
  elastic.push(await runElastic(n));
}

let launch: LaunchResult | undefined;
if (!onlyOther('launch')) {
  const { n, runs, bytes } = plan.launch;
  log(`remote launch: mpirun -np ${n} hostname over ${n} pods, rollcall exec vs ssh, ${runs} runs each; ${bytes / 1e6} MB relayed by each`);
  launch = await runLaunch(n, runs, bytes);
}

// The targets of the benchmark issues, each with its figure.
const byKey = (setting: string, contender: Contender, n: number) => lag.find((result) => result.setting === setting && result.contender === contender && result.n === n);
const targets: { target: string; met: boolean; figure: string }[] = [];
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
for (const setting of lagNs.length === 0 ? [] : plan.settings) {
  for (const n of lagNs) {
    const ping = byKey(setting.name, 'ping loop', n);
    const at = `${setting.name}, N=${n}`;
    for (const contender of ['rollcall star', 'rollcall mesh'] as const) {
      const result = byKey(setting.name, contender, n) as LagResult;
      const label = `${contender}${contender === DEFAULT_TOPOLOGY ? ' (default)' : ''}, ${at}`;
      targets.push({ target: `${label}: zero stranded pods`, met: result.stranded === 0, figure: String(result.stranded) });
      const withPing = ping !== undefined && ping.lagsMs.length > 0;
      if (setting === DNS_SETTINGS.atStart) {
        targets.push({ target: `${label}: release lag median ≤ 100 ms, max ≤ 300 ms`, met: result.medianMs <= 100 && result.maxMs <= 300, figure: `${result.medianMs.toFixed(0)} / ${result.maxMs.toFixed(0)} ms` });
      }
      if (contender !== DEFAULT_TOPOLOGY) continue;
      if (setting === DNS_SETTINGS.noCache) {
        targets.push({ target: `${label}: release lag median ≤ 100 ms`, met: result.medianMs <= 100, figure: `${result.medianMs.toFixed(0)} ms` });
        if (withPing) targets.push({ target: `${label}: median ≤ 0.25× the ping loop's`, met: result.medianMs <= 0.25 * ping.medianMs, figure: ratio(result.medianMs, ping.medianMs) });
      }
      if (setting === DNS_SETTINGS.cached5) targets.push({ target: `${label}: release lag median ≤ 1.5 s`, met: result.medianMs <= 1500, figure: `${result.medianMs.toFixed(0)} ms` });
      if (withPing && (setting === DNS_SETTINGS.cached5 || setting === DNS_SETTINGS.cached30)) {
        targets.push({ target: `${label}: median ≤ 0.3× the ping loop's`, met: result.medianMs <= 0.3 * ping.medianMs, figure: ratio(result.medianMs, ping.medianMs) });
      }
      if (withPing) targets.push({ target: `${label}: never slower than the ping loop`, met: result.medianMs <= ping.medianMs, figure: `${result.medianMs.toFixed(0)} vs ${ping.medianMs.toFixed(0)} ms` });
      if (ping !== undefined) {
        targets.push({ target: `${label}: DNS queries ≤ 0.25× the ping loop's`, met: result.dnsQueries <= 0.25 * ping.dnsQueries, figure: `${ratio(result.dnsQueries, ping.dnsQueries)} (${result.dnsQueries} vs ${ping.dnsQueries})` });
      }
    }
  }
}
const [mesh, star] = scale;
if (mesh !== undefined && star !== undefined) {
  targets.push({ target: `${mesh.peers} peers verified by one pod in ≤ 3 s`, met: mesh.ms <= 3000, figure: `${(mesh.ms / 1000).toFixed(2)} s` });
  targets.push({ target: `… in ≤ 200 MiB`, met: mesh.peakRssMiB <= 200, figure: `${mesh.peakRssMiB.toFixed(0)} MiB` });
  targets.push({ target: `star: ${star.peers} arrivals released ≤ 1 s after the last`, met: star.ms <= 1000, figure: `${star.ms.toFixed(0)} ms (coordinator ${star.peakRssMiB.toFixed(0)} MiB)` });
}
if (largest !== undefined) {
  targets.push({ target: `a pod of a ${largest.size.toLocaleString('en-US')}-pod group: peak memory (reported, no target)`, met: true, figure: `index 0 ${largest.coordinatorPeakMiB.toFixed(0)} MiB, a member ${largest.memberPeakMiB.toFixed(0)} MiB` });
}
const ms = (value: number) => `${Number.isFinite(value) ? value.toFixed(0) : '–'} ms`;
for (const result of life) {
  const at = `N=${result.n}`;
  targets.push({ target: `${at}: a failure known to every pod ≤ 1 s`, met: result.failureKnownMs <= 1000, figure: ms(result.failureKnownMs) });
  targets.push({ target: `${at}: a silent pod found ≤ 15 s`, met: result.vanishedKnownMs <= 15_000, figure: ms(result.vanishedKnownMs) });
  targets.push({ target: `${at}: surviving workloads stopped ≤ grace + 1 s after`, met: result.stoppedAfterKnownMs <= 11_000, figure: ms(result.stoppedAfterKnownMs) });
  targets.push({ target: `${at}: restart round, failure → all running again ≤ 5 s`, met: result.restartMs <= 5000, figure: ms(result.restartMs) });
  targets.push({ target: `${at}: every pod out ≤ 1 s after the last workload, index 0 last`, met: result.exitAfterLastMs <= 1000 && result.indexZeroLast, figure: `${ms(result.exitAfterLastMs)}; index 0 last: ${result.indexZeroLast ? 'yes' : 'no'}` });
}
if (startup !== undefined) targets.push({ target: 'CLI start-up ≤ 60 ms over bare node', met: startup.overheadMs <= 60, figure: `${startup.overheadMs.toFixed(0)} ms (${startup.rollcallMedianMs.toFixed(0)} vs ${startup.bareNodeMedianMs.toFixed(0)} ms)` });
const exe = startup?.executable;
for (const stall of stalls) {
  targets.push({ target: `N=${stall.n}: a stall named to every pod ≤ stall timeout + 1 s`, met: stall.allNamedIt && stall.namedMs <= stall.stallTimeoutMs + 1000, figure: `${ms(stall.namedMs)} after the last progress (timeout ${stall.stallTimeoutMs / 1000} s)${stall.allNamedIt ? '' : '; not every pod named it'}` });
}
for (const status of statuses) {
  const exe = status.executableMs === undefined ? '' : `; single executable ${ms(status.executableMs)}`;
  targets.push({ target: `N=${status.n}: rollcall status answers ≤ 200 ms`, met: status.allHealthy && status.cliMs <= 200, figure: `${ms(status.cliMs)} (node -e 0 alone ${ms(status.bareNodeMs)})${exe}${status.allHealthy ? '' : '; not every answer healthy'}` });
}
for (const result of elastic) {
  const at = `N=${result.n}, elastic ${result.n - 1}:${result.n}`;
  targets.push({ target: `${at}: a pod joins → every pod running again at N ≤ 1 s after index 0 saw it`, met: result.grownMs <= 1000, figure: ms(result.grownMs) });
  targets.push({ target: `${at}: a pod leaves → every pod running again at N−1 ≤ last call + 1 s after index 0 saw it`, met: result.shrunkMs <= result.lastCallMs + 1000, figure: `${ms(result.shrunkMs)} (last call ${result.lastCallMs / 1000} s)` });
  targets.push({ target: `${at}: released at N−1 ≤ 250 ms after the last call passed (from the last arrival)`, met: result.releaseAfterLastCallMs <= 250, figure: ms(result.releaseAfterLastCallMs) });
}
const [oneJob, jobSet] = groups;
if (oneJob !== undefined && jobSet !== undefined) {
  const label = `a JobSet's driver 1 + workers ${jobSet.n - 1} as one group (${jobSet.setting})`;
  targets.push({ target: `${label}: zero stranded pods`, met: jobSet.stranded === 0, figure: String(jobSet.stranded) });
  targets.push({ target: `${label}: release lag median ≤ 1.25× one Job of ${oneJob.n}'s`, met: jobSet.medianMs <= 1.25 * oneJob.medianMs, figure: `${jobSet.medianMs.toFixed(0)} vs ${oneJob.medianMs.toFixed(0)} ms (${ratio(jobSet.medianMs, oneJob.medianMs)})` });
}
if (launch !== undefined) {
  targets.push({ target: `mpirun -np ${launch.n} hostname over ${launch.n} pods: rollcall as the agent ≤ ssh's time`, met: launch.rollcallLaunchMs <= launch.sshLaunchMs, figure: `${launch.rollcallLaunchMs} vs ${launch.sshLaunchMs} ms (median of ${launch.runs})` });
  targets.push({ target: `rollcall exec relays ${launch.bytes / 1e6} MB at ≥ 0.8× ssh's throughput`, met: launch.rollcallMBps >= 0.8 * launch.sshMBps, figure: `${launch.rollcallMBps.toFixed(0)} vs ${launch.sshMBps.toFixed(0)} MB/s (${ratio(launch.rollcallMBps, launch.sshMBps)})` });
}
if (startup === undefined) log('start-up is not measured with --only life or launch');
else if (exe === undefined) log('the single executable is not built (npm run build:exe): its start-up and size are not measured');
else {
  targets.push({ target: 'single executable start-up ≤ 25 ms over its bare Node', met: exe.overheadMs <= 25, figure: `${exe.overheadMs.toFixed(0)} ms (${exe.medianMs.toFixed(0)} vs ${exe.bareNodeMedianMs.toFixed(0)} ms, Node ${exe.node})` });
  targets.push({ target: 'single executable ≤ 100 MB', met: exe.sizeBytes <= 100e6, figure: `${(exe.sizeBytes / 1e6).toFixed(1)} MB; gzip ${(exe.gzipBytes / 1e6).toFixed(1)} MB` });
}

const table = [
  '| cluster DNS | contender | N | lag median | lag max | DNS queries | stranded |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...[...lag, ...groups].map((r) => `| ${r.setting} | ${r.contender}${r.layout === 'one Job' ? '' : `, ${r.layout}`} | ${r.n} | ${r.medianMs.toFixed(0)} ms | ${Number.isFinite(r.maxMs) ? r.maxMs.toFixed(0) : '–'} ms | ${r.dnsQueries} | ${r.stranded} |`),
  '',
  '| scale | peers | time | pod released after | peak RSS | DNS queries |',
  '| --- | --- | --- | --- | --- | --- |',
  ...scale.map((s) => `| ${s.topology === 'mesh' ? 'one pod verifies every peer (mesh)' : 'star coordinator: last arrival → all released'} | ${s.peers} | ${s.ms.toFixed(0)} ms | ${s.releaseMs.toFixed(0)} ms | ${s.peakRssMiB.toFixed(0)} MiB | ${s.dnsQueries} |`),
  '',
  '| the group\'s life | N | failure known (max) | survivors stopped after | restart round | exit after last workload | index 0 last | silent pod found |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...life.map((l) => `| | ${l.n} | ${ms(l.failureKnownMs)} | ${ms(l.stoppedAfterKnownMs)} | ${ms(l.restartMs)} | ${ms(l.exitAfterLastMs)} | ${l.indexZeroLast ? 'yes' : 'no'} | ${ms(l.vanishedKnownMs)} |`),
  '',
  ...(launch === undefined
    ? []
    : [
        `| remote launch, ${launch.n} pods | rollcall exec | ssh (OpenSSH, key auth) |`,
        '| --- | --- | --- |',
        `| \`mpirun -np ${launch.n} hostname\` (median of ${launch.runs}) | ${launch.rollcallLaunchMs} ms | ${launch.sshLaunchMs} ms |`,
        `| ${launch.bytes / 1e6} MB from another pod's /dev/zero | ${launch.rollcallMBps.toFixed(0)} MB/s | ${launch.sshMBps.toFixed(0)} MB/s |`,
        '',
      ]),
  ...(startup === undefined ? [] : [`CLI start-up (median of ${startup.runs}): \`rollcall -- true\` ${startup.rollcallMedianMs.toFixed(0)} ms, \`node -e 0\` ${startup.bareNodeMedianMs.toFixed(0)} ms: +${startup.overheadMs.toFixed(0)} ms`]),
  ...(startup === undefined || exe === undefined ? [] : [`Single executable (median of ${startup.runs}): \`rollcall-linux-x64 -- true\` ${exe.medianMs.toFixed(0)} ms, its Node ${exe.node} \`-e 0\` ${exe.bareNodeMedianMs.toFixed(0)} ms: +${exe.overheadMs.toFixed(0)} ms`]),
  '',
  '| target | met | figure |',
  '| --- | --- | --- |',
  ...targets.map((t) => `| ${t.target} | ${t.met ? 'yes' : '**no**'} | ${t.figure} |`),
].join('\n');
const setting = `Pods start over 1 s, the last 3 s later; a record appears as the cluster DNS setting says (two CoreDNS-like replicas, each with its own cache, behind one address) and goes ${GONE_DELAY_MS} ms after its pod exits; release lag counts from the moment the last pod's record appeared; a pod not released ${plan.strandedAfterMs / 1000} s after the last one started counts as stranded.`;
process.stdout.write(`\nMeasured on ${machine}, ${new Date().toISOString().slice(0, 10)}${quick ? ' (quick run)' : ''}. ${setting}\n\n${table}\n`);

const results = { date: new Date().toISOString(), machine, quick, lag, scale, largest, life, stalls, statuses, groups, elastic, startup, launch, targets };
const partial = quick || values.only !== undefined;
const resultsFile = out ?? (partial ? undefined : join(HERE, 'results.json'));
if (resultsFile !== undefined) writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
if (!partial) {
  writeFileSync(join(HERE, 'results.md'), `Measured on ${machine}, ${results.date.slice(0, 10)}. ${setting}\n\n${table}\n`);
  writeFileSync(join(HERE, 'release-lag.svg'), releaseLagChart(lag, `${machine}, ${results.date.slice(0, 10)}`));
}

/**
 * Where --out writes: the file named, or results.json in the folder named. Settled before anything is
 * measured, so that a run of minutes never ends in a path it cannot write.
 */
function outPath(given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  const path = existsSync(given) && statSync(given).isDirectory() ? join(given, 'results.json') : given;
  if (!existsSync(dirname(path))) throw new TypeError(`--out ${given}: its folder ${dirname(path)} does not exist`);
  return path;
}
