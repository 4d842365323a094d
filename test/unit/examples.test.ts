import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isDnsLabel } from '../../src/identity/names.js';
import { PEER_FAILED_EXIT } from '../../src/cli/supervise.js';

const DIR = join(import.meta.dirname, '../../examples');
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const files = readdirSync(DIR).filter((file) => file.endsWith('.yaml'));

function envValue(container: Doc, name: string): string | undefined {
  return (container.env as Doc[] | undefined)?.find((entry) => entry.name === name)?.value;
}

/** The invariants rollcall relies on, for one Job spec whose pods live behind `service`. */
function checkJob(jobName: string, job: Doc, service: string) {
  expect(job.completionMode, jobName).toBe('Indexed');
  expect(job.parallelism, `${jobName}: every pod must run at once to meet`).toBe(job.completions);
  const pod = job.template.spec;
  const containers = pod.containers as Doc[];
  for (const container of containers) {
    expect(envValue(container, 'ROLLCALL_COUNT'), `${jobName}/${container.name}`).toBe(String(job.completions));
    // A verdict stops every workload in the group: only pods that prove the secret may send one.
    const secret = (container.env as Doc[]).find((entry) => entry.name === 'ROLLCALL_SECRET');
    expect(secret?.valueFrom?.secretKeyRef?.name, `${jobName}/${container.name}: ROLLCALL_SECRET from a Secret`).toBeDefined();
  }
  for (const rule of (job.podFailurePolicy?.rules ?? []) as Doc[]) {
    expect(containers.map((container) => container.name)).toContain(rule.onExitCodes.containerName);
  }
  return { pod, service };
}

/**
 * Where a workload container runs rollcall from a volume, the volume holds it there: an emptyDir that an
 * init container fills with `rollcall install <its mount>`, or the rollcall image mounted as an image volume
 * (which keeps that same layout under /opt/rollcall).
 */
function checkRollcallVolumes(pod: Doc) {
  const volumes = new Map(((pod.volumes ?? []) as Doc[]).map((volume) => [volume.name, volume]));
  let fromVolume = 0;
  for (const container of pod.containers as Doc[]) {
    const program = (container.command as string[] | undefined)?.[0] ?? '';
    for (const mount of (container.volumeMounts ?? []) as Doc[]) {
      if (!program.startsWith(`${mount.mountPath}/`)) continue;
      fromVolume += 1;
      const volume = volumes.get(mount.name) as Doc;
      if (volume.emptyDir !== undefined) {
        const installer = ((pod.initContainers ?? []) as Doc[]).find((init) => (init.volumeMounts as Doc[]).some((other) => other.name === mount.name));
        const installedAt = (installer?.volumeMounts as Doc[]).find((other) => other.name === mount.name)?.mountPath;
        expect(installer?.args, container.name).toEqual(['install', installedAt]);
        expect(program).toBe(`${mount.mountPath}/rollcall`);
      } else {
        expect(volume.image?.reference, container.name).toMatch(/^rollcall:/);
        expect(program).toBe(`${mount.mountPath}/opt/rollcall/rollcall`);
      }
    }
  }
  return fromVolume;
}

describe.each(files)('examples/%s', (file) => {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => doc.toJS() as Doc);
  const jobs = docs.filter((doc) => doc.kind === 'Job');
  const services = docs.filter((doc) => doc.kind === 'Service');
  const jobSets = docs.filter((doc) => doc.kind === 'JobSet');

  test('parses, and every name is a DNS label', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(isDnsLabel(doc.metadata.name), doc.metadata.name).toBe(true);
  });

  test('holds a group: Jobs with their headless Service, or a JobSet that publishes per-pod names', () => {
    expect(jobs.length + jobSets.length, 'no Job or JobSet').toBeGreaterThan(0);
    for (const job of jobs) {
      const { pod } = checkJob(job.metadata.name, job.spec, job.spec.template.spec.subdomain);
      const service = services.find((candidate) => candidate.metadata.name === pod.subdomain);
      expect(service, `subdomain ${pod.subdomain} names a Service in the file`).toBeDefined();
      expect(service?.spec.clusterIP, 'headless').toBe('None');
      expect(service?.spec.publishNotReadyAddresses).toBe(true);
      expect(service?.spec.selector).toEqual({ 'job-name': job.metadata.name });
    }
    for (const jobSet of jobSets) {
      expect(jobSet.spec.network.enableDNSHostnames).toBe(true);
      expect(jobSet.spec.network.publishNotReadyAddresses).toBe(true);
      for (const replicated of jobSet.spec.replicatedJobs as Doc[]) {
        // Pod hostnames are <jobset>-<replicatedJob>-<jobIndex>-<podIndex>: the last one must fit a label.
        const longest = `${jobSet.metadata.name}-${replicated.name}-${replicated.replicas - 1}-${replicated.template.spec.completions - 1}`;
        expect(isDnsLabel(longest), longest).toBe(true);
        checkJob(`${jobSet.metadata.name}/${replicated.name}`, replicated.template.spec, jobSet.metadata.name);
      }
    }
  });
});

describe('fate-sharing.yaml', () => {
  const job = parseAllDocuments(readFileSync(join(DIR, 'fate-sharing.yaml'), 'utf8')).map((doc) => doc.toJS() as Doc).find((doc) => doc.kind === 'Job') as Doc;
  const rules = job.spec.podFailurePolicy.rules as Doc[];
  const actionFor = (code: number) => rules.find((rule) => (rule.onExitCodes.values as number[]).includes(code))?.action;

  test('the podFailurePolicy ignores the consequences (75) and fails the Job on a configuration error (78)', () => {
    expect(actionFor(PEER_FAILED_EXIT)).toBe('Ignore');
    expect(actionFor(78)).toBe('FailJob');
    // The trainer's own failure (say exit 1) is the default: counted against backoffLimit.
    expect(actionFor(1)).toBeUndefined();
  });

  test('the kubelet\'s grace outlasts rollcall\'s, which stays under the 30 s default', () => {
    const container = job.spec.template.spec.containers[0] as Doc;
    const graceSeconds = Number.parseInt(envValue(container, 'ROLLCALL_GRACE') ?? '', 10);
    expect(graceSeconds).toBeLessThan(job.spec.template.spec.terminationGracePeriodSeconds);
    expect(envValue(container, 'ROLLCALL_RESTARTS')).toMatch(/^\d+$/);
  });
});

describe('rollcall from a volume, in an image without Node', () => {
  const podOf = (file: string) => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => doc.toJS() as Doc).find((doc) => doc.kind === 'Job')?.spec.template.spec as Doc;

  test.each(['quickstart.yaml', 'job.yaml', 'init-container.yaml', 'image-volume.yaml', 'torchrun-job.yaml', 'fate-sharing.yaml'])('%s runs the executable where its volume puts it', (file) => {
    expect(checkRollcallVolumes(podOf(file))).toBe(1);
  });

  test('bake-in.Dockerfile copies the directory the rollcall image keeps, and runs its launcher', () => {
    const image = readFileSync(join(DIR, '../docker/Dockerfile'), 'utf8');
    const bakeIn = readFileSync(join(DIR, 'bake-in.Dockerfile'), 'utf8');
    expect(image).toContain('cp dist/rollcall-launcher.sh out/opt/rollcall/rollcall');
    expect(image).toContain('COPY --from=build /src/out/ /');
    expect(bakeIn).toContain('COPY --from=rollcall /opt/rollcall/ /rollcall/');
    expect(bakeIn).toContain('ENTRYPOINT ["/rollcall/rollcall", "--"]');
  });
});

test("the README's first recipe is examples/quickstart.yaml, word for word", () => {
  const readme = readFileSync(join(DIR, '../README.md'), 'utf8');
  const block = /```yaml\n(apiVersion: v1\nkind: Service\n[\s\S]*?)```/.exec(readme)?.[1];
  const parse = (text: string) => parseAllDocuments(text).map((doc) => doc.toJS() as Doc);
  expect(block, 'the README has a Service + Job YAML block').toBeDefined();
  expect(parse(block ?? '')).toEqual(parse(readFileSync(join(DIR, 'quickstart.yaml'), 'utf8')));
});
