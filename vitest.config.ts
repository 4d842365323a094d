import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // Real DNS server on loopback and real sockets; needs dnsmasq.
      { test: { name: 'behaviour', include: ['test/behaviour/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 } },
      // The simulated cluster: network namespaces, root, dnsmasq, nftables.
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Namespaces and one dnsmasq per cluster are cheap, but two cores are not: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
