// A workload that calls rollcall itself: wait for the group, work, then meet again before exiting.
// Run inside a pod of examples/job.yaml (with `node workload.js` as the container's command), or
// locally: `rollcall local -n 3 -- node dist/examples/workload.js` after building.
import { PeersTimeoutError, waitForPeers } from 'rollcall';

try {
  const group = await waitForPeers({
    onProgress: ({ ready, size }) => process.stderr.write(`${ready}/${size} here\n`),
  });
  process.stdout.write(`I am ${group.self.name}, ${group.index + 1} of ${group.size}; peers: ${group.peers.map((peer) => peer.name).join(', ')}\n`);

  // … the work …

  // Nobody exits before everyone is done: an exit barrier.
  await group.barrier('done', { timeoutMs: 60_000 });
  await group.close();
} catch (error) {
  if (error instanceof PeersTimeoutError) {
    for (const peer of error.missing) process.stderr.write(`missing ${peer.name}: ${peer.reason}\n`);
    process.exit(124);
  }
  throw error;
}
