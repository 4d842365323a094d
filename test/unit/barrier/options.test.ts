import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { resolveConfig, type WaitForPeersOptions } from '../../../src/barrier/options.js';

const NONE = '/nonexistent/rollcall';
const base: WaitForPeersOptions = {
  env: { JOB_COMPLETION_INDEX: '0', ROLLCALL_COUNT: '4', ROLLCALL_SUBDOMAIN: 'svc', ROLLCALL_JOB_NAME: 'job' },
  files: { hosts: NONE, resolvConf: NONE, serviceAccountNamespace: NONE },
};
const withEnv = (env: Record<string, string>, options: WaitForPeersOptions = {}) => resolveConfig({ ...base, ...options, env: { ...base.env, ...env } });

describe('defaults are applied in one place', () => {
  // The values the README's Options table and `rollcall --help` state, written out: a test that compared
  // the config with DEFAULTS would pass whatever DEFAULTS said.
  test('an empty configuration gets the documented defaults', () => {
    const config = resolveConfig(base);
    expect(config).toMatchObject({
      port: 7420,
      probe: 'tcp',
      topology: 'star',
      timeoutMs: 300_000,
      attemptTimeoutMs: 2000,
      closeTimeoutMs: 10_000,
      sessionTimeoutMs: 10_000,
      restarts: 0,
      lastCallMs: 5000,
      fatalExitCodes: new Set(),
      exitTimeoutMs: 300_000,
      logIntervalMs: 5000,
      concurrency: 64,
      jobUid: '',
      secret: undefined,
      dnsServers: [],
      backoff: { minDelayMs: 100, maxDelayMs: 2000 },
    });
  });

  test('env twins set every setting', () => {
    const config = withEnv({
      ROLLCALL_PORT: '9000',
      ROLLCALL_PROBE: 'tcp:8080',
      ROLLCALL_TOPOLOGY: 'mesh',
      ROLLCALL_TIMEOUT: '90s',
      ROLLCALL_ATTEMPT_TIMEOUT: '3s',
      ROLLCALL_CLOSE_TIMEOUT: '2s',
      ROLLCALL_SESSION_TIMEOUT: '1m',
      ROLLCALL_LOG_INTERVAL: '250ms',
      ROLLCALL_DNS_SERVERS: '10.96.0.10',
      ROLLCALL_IP_FAMILY: 'ipv6',
      ROLLCALL_CONCURRENCY: '8',
      ROLLCALL_JOB_UID: 'uid-1',
      ROLLCALL_SECRET: 's3cret',
      ROLLCALL_RESTARTS: '2',
      ROLLCALL_FATAL_EXIT_CODES: '78, 3',
      ROLLCALL_EXIT_TIMEOUT: '0',
    });
    expect(config).toMatchObject({
      restarts: 2,
      fatalExitCodes: new Set([78, 3]),
      exitTimeoutMs: 0,
      port: 9000,
      probe: 'tcp:8080',
      timeoutMs: 90_000,
      attemptTimeoutMs: 3000,
      closeTimeoutMs: 2000,
      sessionTimeoutMs: 60_000,
      logIntervalMs: 250,
      dnsServers: ['10.96.0.10'],
      families: [6],
      concurrency: 8,
      jobUid: 'uid-1',
      secret: 's3cret',
    });
  });

  test('an option beats its env twin', () => {
    expect(withEnv({ ROLLCALL_PORT: '9000' }, { port: 9100 }).port).toBe(9100);
  });
});

describe('topology', () => {
  test('auto picks star at every size with the default probe', () => {
    expect(withEnv({ ROLLCALL_COUNT: '2' }).topology).toBe('star');
    expect(withEnv({ ROLLCALL_COUNT: '10000' }).topology).toBe('star');
  });
  test('auto stays mesh with a probe other than tcp, which a star cannot apply', () => {
    expect(withEnv({ ROLLCALL_COUNT: '100', ROLLCALL_PROBE: 'dns' }).topology).toBe('mesh');
  });
  test('star with another probe is a configuration error', () => {
    expect(() => withEnv({ ROLLCALL_TOPOLOGY: 'star', ROLLCALL_PROBE: 'icmp' })).toThrowError(ConfigError);
  });
});

describe('address families follow the pod', () => {
  test('dual and explicit settings', () => {
    expect(withEnv({ ROLLCALL_IP_FAMILY: 'dual' }).families).toEqual([4, 6]);
    expect(withEnv({ ROLLCALL_IP_FAMILY: 'ipv4' }).families).toEqual([4]);
  });
});

describe('bad env values are ConfigErrors naming the variable', () => {
  test.each([
    ['ROLLCALL_PROBE', 'udp'],
    ['ROLLCALL_PROBE', 'tcp:0'],
    ['ROLLCALL_PROBE', 'tcp:70000'],
    ['ROLLCALL_TOPOLOGY', 'ring'],
    ['ROLLCALL_TIMEOUT', 'soon'],
    ['ROLLCALL_ATTEMPT_TIMEOUT', '-1s'],
    ['ROLLCALL_LOG_INTERVAL', 'often'],
    ['ROLLCALL_PORT', '0'],
    ['ROLLCALL_IP_FAMILY', 'v4'],
    ['ROLLCALL_CONCURRENCY', '0'],
    ['ROLLCALL_DNS_SERVERS', 'kube-dns'],
    ['ROLLCALL_RESTARTS', '-1'],
    ['ROLLCALL_RESTARTS', '1.5'],
    ['ROLLCALL_FATAL_EXIT_CODES', '78,x'],
    ['ROLLCALL_FATAL_EXIT_CODES', '0'],
    ['ROLLCALL_FATAL_EXIT_CODES', '256'],
    ['ROLLCALL_EXIT_TIMEOUT', 'never'],
    ['ROLLCALL_EXIT_TIMEOUT', '-5s'],
    ['ROLLCALL_TIMEOUT', '0'],
  ])('%s=%s', (variable, value) => {
    expect(() => withEnv({ [variable]: value })).toThrowError(expect.objectContaining({ code: 'ERR_ROLLCALL_CONFIG', variable }));
  });
});

describe('bad option values are precise TypeErrors', () => {
  test.each<[string, WaitForPeersOptions, RegExp]>([
    ['port', { port: 70000 }, /`port`/],
    ['timeoutMs', { timeoutMs: 0 }, /`timeoutMs`/],
    ['concurrency', { concurrency: 1.5 }, /`concurrency`/],
    ['probe', { probe: 'udp' as never }, /`probe`/],
    ['topology', { topology: 'ring' as never }, /`topology`/],
    ['backoff', { backoff: { minDelayMs: 500, maxDelayMs: 100 } }, /`backoff`/],
    ['signal', { signal: {} as never }, /`signal`/],
    ['restarts', { restarts: -1 }, /`restarts`/],
    ['count', { count: 100_001 }, /`count` to be an integer from 1 to 100000/],
    ['exitTimeoutMs', { exitTimeoutMs: 1.5 }, /`exitTimeoutMs`/],
    ['fatalExitCodes', { fatalExitCodes: [0] }, /`fatalExitCodes`/],
  ])('%s', (_, options, message) => {
    expect(() => resolveConfig({ ...base, ...options })).toThrowError(TypeError);
    expect(() => resolveConfig({ ...base, ...options })).toThrowError(message);
  });
});

describe('an elastic group', () => {
  test('takes its last call from ROLLCALL_LAST_CALL (0: at once), and runs only as a star, where index 0 decides', () => {
    expect(withEnv({ ROLLCALL_COUNT: '2:4', ROLLCALL_LAST_CALL: '10s' }).lastCallMs).toBe(10_000);
    expect(withEnv({ ROLLCALL_COUNT: '2:4', ROLLCALL_LAST_CALL: '0' }).lastCallMs).toBe(0);
    expect(withEnv({ ROLLCALL_COUNT: '2:4' }, { lastCallMs: 250 }).lastCallMs).toBe(250);
    expect(() => withEnv({ ROLLCALL_COUNT: '2:4', ROLLCALL_TOPOLOGY: 'mesh' })).toThrowError(/ROLLCALL_TOPOLOGY \("mesh"\).*elastic group.*only index 0 in a star/);
    expect(() => withEnv({ ROLLCALL_COUNT: '2:4', ROLLCALL_PROBE: 'icmp' })).toThrowError(/elastic group/);
    expect(() => withEnv({}, { lastCallMs: -1 })).toThrowError(/lastCallMs/);
  });
});
