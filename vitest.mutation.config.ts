import { defineConfig } from 'vitest/config';

// What `npm run mutation` runs against each mutant: the unit project, on fake time and in milliseconds, and
// the few behaviour tests that are fast and on loopback: the stub resolver on a real socket with a fake
// clock, the listener's handshakes, the resolver against a real dnsmasq and the simulated cluster's DNS server. The others wait
// out real deadlines (seconds a test, hours over a thousand mutants) or run the built bundle, which no
// mutant reaches.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'behaviour', include: ['test/behaviour/dns-client.test.ts', 'test/behaviour/listener.test.ts', 'test/behaviour/cluster-dns-server.test.ts', 'test/behaviour/resolve.test.ts'] } },
    ],
  },
});
