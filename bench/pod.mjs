// The pod under measurement in the scale benchmarks, as its own process: waits for the group, prints
// how long that took and its peak RSS as one JSON line, then closes. Options come as JSON in argv[2].
// Plain JavaScript on the built package, as a workload runs it: a TypeScript loader would add its own
// ~40 MiB to the RSS being measured.
import { waitForPeers } from 'rollcall';

/** @type {import('rollcall').WaitForPeersOptions} */
const options = JSON.parse(process.argv[2] ?? '{}');
const started = performance.now();
const group = await waitForPeers({
  ...options,
  env: {},
  log: false,
  files: { hosts: '/nonexistent', resolvConf: '/nonexistent', serviceAccountNamespace: '/nonexistent' },
  onProgress: process.env.BENCH_TRACE
    ? (progress) => process.stderr.write(`${Math.round(performance.now() - started)}ms ready ${progress.ready} missing ${progress.missing.length} ${progress.missing[0]?.reason ?? ''}\n`)
    : undefined,
});
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, checksMs: group.timings.checksMs, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
await group.close();
process.exit(0);
