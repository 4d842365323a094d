import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { readIdentity } from '../../../src/identity/identity.js';
import { Membership } from '../../../src/identity/membership.js';
import { parseKubeletHosts, parseSearchDomain } from '../../../src/identity/pod-files.js';
import { scratchDir } from '../../support/scratch.js';

const dir = scratchDir('rollcall-identity-');
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const NONE = join(dir, 'does-not-exist');
const noFiles = { hosts: NONE, resolvConf: NONE, serviceAccountNamespace: NONE };

// What the kubelet writes for a pod with hostname example-job-1 and subdomain headless-svc.
const KUBELET_HOSTS = `# Kubernetes-managed hosts file.
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
10.244.1.7\texample-job-1.headless-svc.team-a.svc.cluster.local\texample-job-1
fd00:10:244::7\texample-job-1.headless-svc.team-a.svc.cluster.local\texample-job-1
`;
const POD_RESOLV = 'search team-b.svc.corp.example svc.corp.example corp.example\nnameserver 10.96.0.10\noptions ndots:5\n';

function expectConfigError(run: () => unknown, variable: string, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect(caught).toMatchObject({ code: 'ERR_ROLLCALL_CONFIG', variable });
  expect((caught as Error).message).toMatch(message);
}

describe('zero-config inside a pod', () => {
  test('index from JOB_COMPLETION_INDEX, job from the hostname, the rest from the kubelet hosts file', () => {
    const identity = readIdentity({
      env: { JOB_COMPLETION_INDEX: '1', ROLLCALL_COUNT: '3' },
      hostname: 'example-job-1',
      files: { ...noFiles, hosts: file('hosts', KUBELET_HOSTS) },
    });
    expect(identity).toEqual({
      index: 1,
      membership: Membership.ofJob('example-job', 3),
      subdomain: 'headless-svc',
      namespace: 'team-a',
      clusterDomain: 'cluster.local',
      hostname: 'example-job-1',
      podIps: ['10.244.1.7', 'fd00:10:244::7'],
    });
  });

  test('a JobSet pod: the Job is <jobset>-<replicatedJob>-<jobIndex>, the subdomain the JobSet', () => {
    const hosts = '10.0.3.4\tsweep-workers-1-3.sweep.ml.svc.cluster.local\tsweep-workers-1-3\n';
    const identity = readIdentity({
      env: { JOB_COMPLETION_INDEX: '3', ROLLCALL_COUNT: '4' },
      hostname: 'sweep-workers-1-3',
      files: { ...noFiles, hosts: file('jobset-hosts', hosts) },
    });
    expect(identity).toMatchObject({ membership: expect.objectContaining({ name: 'sweep-workers-1' }), subdomain: 'sweep', namespace: 'ml', index: 3, podIps: ['10.0.3.4'] });
  });

  test('namespace and domain fall back to the first search entry of resolv.conf', () => {
    const identity = readIdentity({
      env: { JOB_COMPLETION_INDEX: '0', ROLLCALL_COUNT: '2', ROLLCALL_SUBDOMAIN: 'workers' },
      hostname: 'trainer-0',
      files: { ...noFiles, resolvConf: file('resolv', POD_RESOLV) },
    });
    expect(identity).toMatchObject({ membership: expect.objectContaining({ name: 'trainer' }), subdomain: 'workers', namespace: 'team-b', clusterDomain: 'corp.example', podIps: [] });
  });

  test('namespace falls back to the service-account file; the domain then stays unknown', () => {
    const identity = readIdentity({
      env: { JOB_COMPLETION_INDEX: '0', ROLLCALL_COUNT: '1', ROLLCALL_SUBDOMAIN: 'workers' },
      hostname: 'trainer-0',
      files: { ...noFiles, serviceAccountNamespace: file('namespace', 'team-c\n') },
    });
    expect(identity).toMatchObject({ namespace: 'team-c', clusterDomain: undefined });
  });

  test('ROLLCALL_INDEX stands in for JOB_COMPLETION_INDEX; both set must agree, and a disagreement names both', () => {
    const base = { ROLLCALL_COUNT: '4', ROLLCALL_SUBDOMAIN: 's', ROLLCALL_JOB_NAME: 'j' };
    expect(readIdentity({ env: { ...base, ROLLCALL_INDEX: '3' }, files: noFiles }).index).toBe(3);
    expect(readIdentity({ env: { ...base, ROLLCALL_INDEX: '2', JOB_COMPLETION_INDEX: '2' }, hostname: 'j-2', files: noFiles }).index).toBe(2);
    const disagree = () => readIdentity({ env: { ...base, ROLLCALL_INDEX: '3', JOB_COMPLETION_INDEX: '2' }, hostname: 'j-2', files: noFiles });
    expectConfigError(disagree, 'ROLLCALL_INDEX', /^ROLLCALL_INDEX \("3"\): disagrees with JOB_COMPLETION_INDEX \("2"\)/);
    expectConfigError(() => readIdentity({ index: 1, env: { ...base, JOB_COMPLETION_INDEX: '2' }, hostname: 'j-2', files: noFiles }), 'index', /^index \("1"\): disagrees with JOB_COMPLETION_INDEX/);
  });

  test("an explicit job name, subdomain, namespace or domain that contradicts the pod's own is an error", () => {
    const env = { JOB_COMPLETION_INDEX: '1', ROLLCALL_COUNT: '3' };
    const files = { ...noFiles, hosts: file('hosts-conflict', KUBELET_HOSTS) };
    const read = (extra: Record<string, string>, options = {}) => () => readIdentity({ env: { ...env, ...extra }, hostname: 'example-job-1', files, ...options });
    expectConfigError(read({ ROLLCALL_JOB_NAME: 'other-job' }), 'ROLLCALL_JOB_NAME', /disagrees with the hostname "example-job-1" \(<job>-<index>\), which says "example-job"/);
    expectConfigError(read({ ROLLCALL_SUBDOMAIN: 'other-svc' }), 'ROLLCALL_SUBDOMAIN', /disagrees with the kubelet's line for example-job-1 .*"headless-svc"/);
    expectConfigError(read({}, { namespace: 'team-z' }), 'namespace', /disagrees with .*"team-a"/);
    expectConfigError(read({ ROLLCALL_CLUSTER_DOMAIN: 'corp.example' }), 'ROLLCALL_CLUSTER_DOMAIN', /"cluster.local"/);
    // Saying what the pod says is no conflict, a trailing dot on the domain included.
    expect(read({ ROLLCALL_JOB_NAME: 'example-job', ROLLCALL_SUBDOMAIN: 'headless-svc', ROLLCALL_NAMESPACE: 'team-a', ROLLCALL_CLUSTER_DOMAIN: 'cluster.local.' })()).toMatchObject({ membership: expect.objectContaining({ name: 'example-job' }), subdomain: 'headless-svc' });
  });

  test('a group of up to 100,000 (Kubernetes\' limit on completions) is accepted; one more is a ConfigError naming the limit', () => {
    const base = { ROLLCALL_INDEX: '0', ROLLCALL_SUBDOMAIN: 's', ROLLCALL_JOB_NAME: 'j' };
    expect(readIdentity({ env: { ...base, ROLLCALL_COUNT: '100000' }, files: noFiles }).membership.size).toBe(100_000);
    for (const count of ['100001', '100000000']) {
      expect(() => readIdentity({ env: { ...base, ROLLCALL_COUNT: count }, files: noFiles })).toThrowError(
        expect.objectContaining({ code: 'ERR_ROLLCALL_CONFIG', variable: 'ROLLCALL_COUNT', message: expect.stringContaining('is above 100,000, the most completions Kubernetes allows') }),
      );
    }
    expect(() => readIdentity({ count: 100_001, env: base, files: noFiles })).toThrowError(/100,000/);
  });

  test('options beat env, env beats the env file, the env file beats the pod files', () => {
    const envFile = file('rollcall.env', 'ROLLCALL_COUNT=8\nROLLCALL_SUBDOMAIN=from-file\nROLLCALL_NAMESPACE=file-ns\n');
    const identity = readIdentity({
      env: { JOB_COMPLETION_INDEX: '1', ROLLCALL_ENV_FILE: envFile, ROLLCALL_SUBDOMAIN: 'from-env' },
      hostname: 'example-job-1',
      namespace: 'option-ns',
      // The kubelet's line without a subdomain: it has no say on subdomain, namespace or domain.
      files: { ...noFiles, hosts: file('hosts2', '10.244.1.7\texample-job-1\n'), resolvConf: file('resolv2', POD_RESOLV) },
    });
    expect(identity).toMatchObject({ membership: expect.objectContaining({ size: 8 }), subdomain: 'from-env', namespace: 'option-ns', clusterDomain: 'corp.example' });
  });

  test('the env file fills what the environment leaves unset', () => {
    const envFile = file('only.env', 'ROLLCALL_NAMESPACE=file-ns\nROLLCALL_CLUSTER_DOMAIN=corp.example\n');
    const identity = readIdentity({
      env: { ROLLCALL_INDEX: '0', ROLLCALL_COUNT: '1', ROLLCALL_SUBDOMAIN: 's', ROLLCALL_JOB_NAME: 'j' },
      envFile,
      files: noFiles,
    });
    expect(identity).toMatchObject({ namespace: 'file-ns', clusterDomain: 'corp.example' });
  });
});

describe('bad configuration fails fast, naming the variable, the value and the fix', () => {
  const env = { JOB_COMPLETION_INDEX: '1', ROLLCALL_COUNT: '3', ROLLCALL_SUBDOMAIN: 'svc' };
  const run = (overrides: Record<string, string | undefined>, hostname = 'job-1') => () =>
    readIdentity({ env: { ...env, ...overrides }, hostname, files: noFiles });

  test('count missing', () => expectConfigError(run({ ROLLCALL_COUNT: undefined }), 'ROLLCALL_COUNT', /required.*completions/));
  test('count zero', () => expectConfigError(run({ ROLLCALL_COUNT: '0' }), 'ROLLCALL_COUNT', /integer ≥ 1/));
  test('count not a number', () => expectConfigError(run({ ROLLCALL_COUNT: 'three' }), 'ROLLCALL_COUNT', /"three"/));
  test('index missing', () => expectConfigError(run({ JOB_COMPLETION_INDEX: undefined }), 'JOB_COMPLETION_INDEX', /Indexed/));
  test('index negative', () => expectConfigError(run({ JOB_COMPLETION_INDEX: '-1' }), 'JOB_COMPLETION_INDEX', /non-negative|integer ≥ 0/));
  test('index fractional', () => expectConfigError(run({ JOB_COMPLETION_INDEX: '1.5' }), 'JOB_COMPLETION_INDEX', /"1.5"/));
  test('index not below count', () => expectConfigError(run({ JOB_COMPLETION_INDEX: '3' }, 'job-3'), 'JOB_COMPLETION_INDEX', /not below the group size 3/));
  test('hostname not <job>-<index>', () => expectConfigError(run({}, 'job-2'), 'ROLLCALL_JOB_NAME', /hostname "job-2".*"<job>-1"/));
  test('hostname that is only the suffix', () => expectConfigError(run({}, '-1'), 'ROLLCALL_JOB_NAME', /hostname/));
  test('job name not a DNS label', () => expectConfigError(run({ ROLLCALL_JOB_NAME: 'Job_A' }), 'ROLLCALL_JOB_NAME', /DNS-1123/));
  test('job name too long for its largest index', () =>
    expectConfigError(run({ ROLLCALL_JOB_NAME: 'a'.repeat(61), ROLLCALL_COUNT: '100', JOB_COMPLETION_INDEX: '1' }), 'ROLLCALL_JOB_NAME', /64 characters/));
  test('subdomain undetectable', () => expectConfigError(run({ ROLLCALL_SUBDOMAIN: undefined }), 'ROLLCALL_SUBDOMAIN', /spec.subdomain/));
  test('subdomain not a label', () => expectConfigError(run({ ROLLCALL_SUBDOMAIN: 'my.svc' }), 'ROLLCALL_SUBDOMAIN', /DNS-1123/));
  test('namespace not a label', () => expectConfigError(run({ ROLLCALL_NAMESPACE: 'Team A' }), 'ROLLCALL_NAMESPACE', /DNS-1123/));
  test('cluster domain malformed', () => expectConfigError(run({ ROLLCALL_CLUSTER_DOMAIN: 'a..b' }), 'ROLLCALL_CLUSTER_DOMAIN', /not a DNS domain/));
  test('env file unreadable', () => expectConfigError(run({ ROLLCALL_ENV_FILE: NONE }), 'ROLLCALL_ENV_FILE', /cannot be read \(ENOENT\)/));
});

describe('a group across the Jobs of a JobSet (ROLLCALL_GROUP)', () => {
  const hosts = (hostname: string) => file(`hosts-${hostname}`, `10.0.3.4\t${hostname}.sweep.ml.svc.cluster.local\t${hostname}\n`);
  const read = (hostname: string, env: Record<string, string> = {}) => () =>
    readIdentity({ env: { ROLLCALL_GROUP: 'driver:1,workers:2x4', JOB_COMPLETION_INDEX: hostname.split('-').at(-1) as string, ...env }, hostname, files: { ...noFiles, hosts: hosts(hostname) } });

  test('the hostname says the JobSet, the part, the Job and the index; the rank counts the parts before it', () => {
    const identity = read('sweep-workers-1-2')();
    expect(identity).toMatchObject({ index: 1 + 4 + 2, subdomain: 'sweep', namespace: 'ml', podIps: ['10.0.3.4'] });
    expect(identity.membership.name).toBe('sweep');
    expect(identity.membership.size).toBe(9);
    expect(identity.membership.part(identity.index)).toEqual({ name: 'workers', index: 6 });
    expect(identity.membership.hostname(0)).toBe('sweep-driver-0-0');
    expect(read('sweep-driver-0-0')().index).toBe(0);
  });

  test('what else the pod is told must agree: JOBSET_NAME, the completion index, ROLLCALL_INDEX and ROLLCALL_COUNT', () => {
    expect(read('sweep-workers-0-1', { JOBSET_NAME: 'sweep', ROLLCALL_INDEX: '2', ROLLCALL_COUNT: '9' })().index).toBe(2);
    expectConfigError(read('sweep-workers-0-1', { JOBSET_NAME: 'other' }), 'ROLLCALL_GROUP', /hostname "sweep-workers-0-1" is not <jobset>-<part>-<jobIndex>-<podIndex> .* with the JobSet "other" \(JOBSET_NAME\)/);
    expectConfigError(read('sweep-workers-0-1', { JOB_COMPLETION_INDEX: '3' }), 'JOB_COMPLETION_INDEX', /says completion index 1/);
    expectConfigError(read('sweep-workers-0-1', { ROLLCALL_INDEX: '1' }), 'ROLLCALL_INDEX', /disagrees with this pod's rank 2 in the group sweep \(driver 1 \+ workers 2×4\)/);
    expectConfigError(read('sweep-workers-0-1', { ROLLCALL_COUNT: '4' }), 'ROLLCALL_COUNT', /a group of 9 pods/);
  });

  test('a pod the parts do not describe is refused by name', () => {
    expectConfigError(read('sweep-launcher-0-0'), 'ROLLCALL_GROUP', /hostname "sweep-launcher-0-0" is not .* \(driver, workers\)/);
    expectConfigError(read('sweep-workers-2-0'), 'ROLLCALL_GROUP', /gives part "workers" 2 Job\(s\), but this pod is in Job 2/);
    expectConfigError(read('sweep-workers-0-4'), 'ROLLCALL_GROUP', /gives part "workers" 4 pod\(s\) a Job, but this pod is index 4/);
    expectConfigError(read('a-b-workers-0-1', { ROLLCALL_GROUP: 'workers:1x2,b-workers:1x2' }), 'ROLLCALL_GROUP', /more than one way .*ROLLCALL_JOB_NAME/s);
    expect(read('a-b-workers-0-1', { ROLLCALL_GROUP: 'workers:1x2,b-workers:1x2', ROLLCALL_JOB_NAME: 'a' })().index).toBe(3);
  });

  test("every member's hostname must fit a DNS label, the longest part's last pod included", () => {
    const long = 'j'.repeat(50);
    expectConfigError(read(`${long}-a-0-0`, { ROLLCALL_GROUP: 'a:1,workers:100x100' }), 'ROLLCALL_JOB_NAME', /over the DNS label limit/);
  });
});

describe("a LeaderWorkerSet's group (its LWS_* env)", () => {
  // As the LeaderWorkerSet controller sets them: group 1 of "serve", size 4, the shared Service "serve".
  const LWS = { LWS_LEADER_ADDRESS: 'serve-1.serve.infer', LWS_GROUP_SIZE: '4' };
  const hosts = (hostname: string, subdomain = 'serve') => file(`lws-${hostname}-${subdomain}`, `10.0.5.6\t${hostname}.${subdomain}.infer.svc.cluster.local\t${hostname}\n`);
  const read = (hostname: string, worker: string, env: Record<string, string> = {}, subdomain?: string) => () =>
    readIdentity({ env: { ...LWS, LWS_WORKER_INDEX: worker, ...env }, hostname, files: { ...noFiles, hosts: hosts(hostname, subdomain) } });

  test('the leader is index 0 and worker i is <lws>-<g>-<i>; the Service and namespace come from the leader\'s address', () => {
    const worker = read('serve-1-2', '2')();
    expect(worker).toMatchObject({ index: 2, subdomain: 'serve', namespace: 'infer', clusterDomain: 'cluster.local', podIps: ['10.0.5.6'] });
    expect([0, 1, 2, 3].map((rank) => worker.membership.hostname(rank))).toEqual(['serve-1', 'serve-1-1', 'serve-1-2', 'serve-1-3']);
    expect(worker.membership.name).toBe('serve-1');
    expect(worker.membership.describe()).toBe('serve-1 (a leader and 3 workers)');
    expect(read('serve-1', '0')().index).toBe(0);
    // Without the kubelet's line, the address alone says the Service and namespace.
    expect(readIdentity({ env: { ...LWS, LWS_WORKER_INDEX: '3' }, hostname: 'serve-1-3', files: noFiles })).toMatchObject({ subdomain: 'serve', namespace: 'infer' });
  });

  test('what else the pod is told must agree with the LWS_* env', () => {
    expectConfigError(read('serve-1-2', '3'), 'LWS_LEADER_ADDRESS', /makes worker 3's hostname "serve-1-3", and this pod's is "serve-1-2"/);
    expectConfigError(read('serve-1-2', '2', { ROLLCALL_COUNT: '8' }), 'ROLLCALL_COUNT', /disagrees with LWS_GROUP_SIZE \(4\)/);
    expectConfigError(read('serve-1-2', '2', { ROLLCALL_INDEX: '1' }), 'ROLLCALL_INDEX', /disagrees with LWS_WORKER_INDEX \(2\)/);
    expectConfigError(read('serve-1-2', '2', { ROLLCALL_SUBDOMAIN: 'other' }), 'ROLLCALL_SUBDOMAIN', /disagrees with LWS_LEADER_ADDRESS's subdomain, which says "serve"/);
    expectConfigError(read('serve-1-2', '2', {}, 'elsewhere'), 'LWS_LEADER_ADDRESS', /disagrees with the kubelet's line for serve-1-2 .*"elsewhere"/);
    expectConfigError(read('serve-1-2', '4'), 'LWS_WORKER_INDEX', /not below LWS_GROUP_SIZE \(4\)/);
    expectConfigError(read('serve-1-2', '2', { LWS_LEADER_ADDRESS: 'serve-1.serve' }), 'LWS_LEADER_ADDRESS', /is not <leader>\.<subdomain>\.<namespace>/);
    expectConfigError(read('serve-1-2', '2', { LWS_GROUP_SIZE: '' }), 'LWS_GROUP_SIZE', /integer|not set/);
    expectConfigError(read('serve-1-2', '2', { ROLLCALL_GROUP: 'a:1' }), 'ROLLCALL_GROUP', /is for the Jobs of a JobSet, and this pod is a LeaderWorkerSet's/);
  });
});

describe('pod file parsers', () => {
  test('a hosts file without a subdomain line yields only the pod IP', () => {
    expect(parseKubeletHosts('10.0.0.5\tjob-0\n', 'job-0')).toEqual({ subdomain: undefined, namespace: undefined, clusterDomain: undefined, podIps: ['10.0.0.5'] });
  });
  test('other pods and comments are ignored', () => {
    const facts = parseKubeletHosts('# 10.0.0.9 job-0.x.y.svc.z job-0\n10.0.0.8\tjob-10.s.ns.svc.cluster.local\tjob-10\n', 'job-0');
    expect(facts.podIps).toEqual([]);
  });
  test('a search list whose first entry is not <ns>.svc.<domain> tells nothing', () => {
    expect(parseSearchDomain('search example.com\nnameserver 1.1.1.1\n')).toBeUndefined();
    expect(parseSearchDomain('nameserver 1.1.1.1\n')).toBeUndefined();
    expect(parseSearchDomain('search ns1.svc.cluster.local svc.cluster.local\n')).toEqual({ namespace: 'ns1', clusterDomain: 'cluster.local' });
  });
});

describe('an elastic group (ROLLCALL_COUNT=MIN:MAX)', () => {
  const env = { JOB_COMPLETION_INDEX: '1', ROLLCALL_SUBDOMAIN: 'svc' };
  const read = (overrides: Record<string, string | undefined>, options: { count?: number; minCount?: number } = {}, hostname = 'job-1') => () =>
    readIdentity({ ...options, env: { ...env, ...overrides }, hostname, files: noFiles });

  test('MIN:MAX gives the fewest and the most; the most is the size, and every index below it a member', () => {
    const { membership } = read({ ROLLCALL_COUNT: ' 2 : 4 ' })();
    expect([membership.min, membership.size, membership.elastic]).toEqual([2, 4, true]);
    expect(membership.describe()).toBe('job (2 to 4 pods)');
    expect(read({ ROLLCALL_COUNT: '4:4' })().membership.elastic).toBe(false);
    expect(read({}, { count: 4, minCount: 3 })().membership).toMatchObject({ min: 3, size: 4 });
  });

  test('MIN above MAX, MIN below 1, an index not below MAX, and minCount out of range are refused', () => {
    expectConfigError(read({ ROLLCALL_COUNT: '5:4' }), 'ROLLCALL_COUNT', /at least 5 pods and at most 4/);
    expectConfigError(read({ ROLLCALL_COUNT: '0:4' }), 'ROLLCALL_COUNT', /integer ≥ 1/);
    expectConfigError(read({ ROLLCALL_COUNT: '1:2', JOB_COMPLETION_INDEX: '2' }, {}, 'job-2'), 'JOB_COMPLETION_INDEX', /not below the group size 2/);
    expect(read({}, { count: 4, minCount: 5 })).toThrow(/minCount.*from 1 to `count` \(4\), got 5/);
  });

  test("a JobSet's group and a LeaderWorkerSet's have a fixed size: MIN:MAX with them is refused by name", () => {
    expectConfigError(read({ ROLLCALL_GROUP: 'driver:1,workers:4', ROLLCALL_COUNT: '2:5' }, {}, 'set-workers-0-1'), 'ROLLCALL_COUNT', /makes the group elastic, and a JobSet's group \(ROLLCALL_GROUP\) has a fixed size/);
    expectConfigError(read({ LWS_LEADER_ADDRESS: 'serve-1.serve.infer', LWS_GROUP_SIZE: '4', LWS_WORKER_INDEX: '1', ROLLCALL_COUNT: '2:4' }, {}, 'serve-1-1'), 'ROLLCALL_COUNT', /a LeaderWorkerSet group has a fixed size/);
  });
});
