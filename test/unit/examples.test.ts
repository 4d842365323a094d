import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isDnsLabel } from '../../src/names.js';

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
  }
  for (const rule of (job.podFailurePolicy?.rules ?? []) as Doc[]) {
    expect(containers.map((container) => container.name)).toContain(rule.onExitCodes.containerName);
  }
  return { pod, service };
}

describe.each(files)('examples/%s', (file) => {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => doc.toJS() as Doc);

  test('parses, and every name is a DNS label', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(isDnsLabel(doc.metadata.name), doc.metadata.name).toBe(true);
  });

  const jobs = docs.filter((doc) => doc.kind === 'Job');
  const services = docs.filter((doc) => doc.kind === 'Service');
  const jobSets = docs.filter((doc) => doc.kind === 'JobSet');

  if (jobs.length > 0) test('Job and headless Service fit together', () => {
    for (const job of jobs) {
      const { pod } = checkJob(job.metadata.name, job.spec, job.spec.template.spec.subdomain);
      const service = services.find((candidate) => candidate.metadata.name === pod.subdomain);
      expect(service, `subdomain ${pod.subdomain} names a Service in the file`).toBeDefined();
      expect(service?.spec.clusterIP, 'headless').toBe('None');
      expect(service?.spec.publishNotReadyAddresses).toBe(true);
      expect(service?.spec.selector).toEqual({ 'job-name': job.metadata.name });
    }
  });

  if (jobSets.length > 0) test('JobSet publishes per-pod DNS names and each Job is a group', () => {
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
