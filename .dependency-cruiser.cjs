/**
 * The layers of src/, lowest first: a module may import from its own layer and from lower ones, never
 * from a higher one, and no import may close a circle. `npm run layers` checks it; CI runs it.
 *
 *   base       time/, errors.ts, group-failure.ts, settings.ts
 *                                               clocks, deadlines, durations; error classes and what a
 *                                               failure is; setting sources
 *   identity   identity/                        who this pod is, and every peer's name
 *   discovery  discovery/                       a name's addresses, whether a peer is up, retried checks
 *   transport  transport/                       frames, authentication, handshakes, sessions, datagrams
 *   lifecycle  lifecycle/                       the group's life as rules: outcomes, referee, rounds
 *   barrier    barrier/                         the roles, their options, waitForPeers and the Group
 *   launch     launch/                          remote launch: the agent, the relay, the serving side
 *   cli        cli/                             the entrypoint over the library
 *   api        index.ts                         what the package exports
 */
const LAYERS = [
  ['base', '^src/(time/|errors\\.ts$|group-failure\\.ts$|settings\\.ts$)'],
  ['identity', '^src/identity/'],
  ['discovery', '^src/discovery/'],
  ['transport', '^src/transport/'],
  ['lifecycle', '^src/lifecycle/'],
  ['barrier', '^src/barrier/'],
  ['launch', '^src/launch/'],
  ['cli', '^src/cli/'],
  ['api', '^src/index\\.ts$'],
];

const ANY_LAYER = LAYERS.map(([, path]) => `(${path})`).join('|');

const upward = LAYERS.flatMap(([name, path], level) =>
  LAYERS.slice(level + 1).map(([higher, higherPath]) => ({
    name: `${name}-imports-${higher}`,
    comment: `${name} is below ${higher}: it may not import from it`,
    severity: 'error',
    from: { path },
    to: { path: higherPath },
  })),
);

module.exports = {
  forbidden: [
    ...upward,
    { name: 'no-circular', comment: 'an import circle', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    // Every source file belongs to a layer: a new folder gets one here (a file that neither imports nor is
    // imported is dead code, which lint and the tests find).
    { name: 'in-a-layer', comment: 'a file outside the layers imports', severity: 'error', from: { path: '^src/', pathNot: ANY_LAYER }, to: {} },
    { name: 'into-a-layer', comment: 'a file outside the layers is imported', severity: 'error', from: {}, to: { path: '^src/', pathNot: ANY_LAYER } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    includeOnly: '^src/',
  },
};
