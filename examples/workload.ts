// A workload that calls rollcall itself: wait for the group, work while sharing the group's fate, and
// leave together.
// In a pod it runs under rollcall or on its own: `rollcall -- node workload.js` (waitForPeers joins the
// wrapper's group) or `node workload.js` (waitForPeers is the pod's rollcall). On this machine, from the
// repository's root:
//   npm ci && npm run build && node dist/rollcall.mjs local -n 3 -- npx tsx examples/workload.ts
import { PeerFailedError, PeersTimeoutError, waitForPeers } from 'rollcall';

try {
  const group = await waitForPeers({
    onProgress: ({ ready, size }) => process.stderr.write(`${ready}/${size} here\n`),
  });
  process.stdout.write(`I am ${group.self.name}, ${group.index + 1} of ${group.size}; peers: ${group.peers.map((peer) => peer.name).join(', ')}\n`);

  try {
    // … the work, which stops when group.signal aborts: another pod failed, vanished or was replaced …
    group.signal.throwIfAborted();
  } catch (error) {
    // Tell the others at once (unless it was their failure), then leave.
    await group.close({ exitCode: 1 });
    throw error;
  }
  // Success: nobody exits before everyone is done (the exit barrier), and index 0 leaves last.
  await group.close();
} catch (error) {
  if (error instanceof PeerFailedError) {
    process.stderr.write(`stopping: ${error.message}\n`);
    process.exit(75);
  }
  if (error instanceof PeersTimeoutError) {
    for (const peer of error.missing) process.stderr.write(`missing ${peer.name}: ${peer.reason}\n`);
    process.exit(124);
  }
  throw error;
}
