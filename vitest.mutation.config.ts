import { defineConfig } from 'vitest/config';

// What `npm run mutation` runs against each mutant: the unit project, on fake time and in milliseconds; the
// simulator's scenarios and a short run of seeds (every role together, seconds a mutant); and the behaviour
// tests that take milliseconds on loopback: the stub resolver on a real socket with a fake clock, the
// client's handshake, the name resolver asked of the simulated cluster's DNS server, and stream frames on a
// Unix socket. The others wait out real deadlines (seconds a test: the listener's, dnsmasq's; hours over a
// thousand mutants) or run the built bundle, which no mutant reaches.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The roles wired together on fake time: the scenarios, and a short run of seeds of its own.
      { test: { name: 'sim', include: ['test/sim/scenarios.test.ts', 'test/sim/seeds.mutation.ts'] } },
      { test: { name: 'behaviour', include: ['test/behaviour/dns-client.test.ts', 'test/behaviour/cluster-dns-server.test.ts', 'test/behaviour/handshake.test.ts', 'test/behaviour/name-resolver.test.ts', 'test/behaviour/stream-frames.test.ts'] } },
    ],
  },
});
