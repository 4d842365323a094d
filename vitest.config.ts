import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One worker per core: vitest's default leaves one core to its main process, which on CI's two cores
// means one file at a time, though the behaviour tests mostly wait on sockets and timers.
const maxWorkers = availableParallelism();

// Groups run one after another (sequence.groupOrder): the CPU-bound projects first, then real sockets,
// then the simulated cluster, so that tests that meet real time never share the cores with the simulator.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], maxWorkers, sequence: { groupOrder: 0 } } },
      // The group's real roles on fake time, many pods and faults per seed; no sockets, no processes.
      { test: { name: 'sim', include: ['test/sim/**/*.test.ts'], testTimeout: 300_000, maxWorkers, sequence: { groupOrder: 0 } } },
      // Real DNS server on loopback and real sockets; needs dnsmasq.
      { test: { name: 'behaviour', include: ['test/behaviour/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000, maxWorkers, sequence: { groupOrder: 1 } } },
      // The simulated cluster: network namespaces, root, dnsmasq, nftables.
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Namespaces and one dnsmasq per cluster are cheap, but two cores are not: one file at a time.
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
