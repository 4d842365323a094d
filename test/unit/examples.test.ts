import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { exampleFiles, loadExample, proseBlocks, REPO, type Manifest } from '../../harness/manifests/manifests.js';
import { checkRules, type Finding } from '../../harness/manifests/rules.js';
import { validateSchemas, type Doc, type KubernetesVersion } from '../../harness/manifests/schema.js';
import { PEER_FAILED_EXIT } from '../../src/cli/supervise.js';

const examples = exampleFiles().map(loadExample);
const blocks = proseBlocks();
const show = (findings: readonly { object: string; message: string }[]) => findings.map((finding) => `${finding.object}: ${finding.message}`).join('\n');

describe.each(examples.map((manifest) => [basename(manifest.source), manifest] as const))('examples/%s', (_, manifest) => {
  test('is valid for the Kubernetes version it claims (unknown fields refused)', { timeout: 30_000 }, () => {
    expect(manifest.claims, 'a "# Kubernetes: <version> or later" line').toBeDefined();
    const findings = validateSchemas(manifest.docs, manifest.claims as KubernetesVersion, manifest.source);
    expect(findings, show(findings)).toEqual([]);
  });

  test('meets the rules the schema misses: env set once, Secrets and ConfigMaps created, selectors, counts, mounts, commands', () => {
    const findings = checkRules([manifest]);
    expect(findings, show(findings)).toEqual([]);
  });
});

test('no two examples define the same object: any two can be applied side by side', () => {
  const findings = checkRules(examples).filter((finding) => finding.rule === 'name-clash');
  expect(findings, show(findings)).toEqual([]);
});

describe('YAML blocks in the README and docs', () => {
  test('there are some, and every complete one is valid and meets the rules', { timeout: 30_000 }, () => {
    expect(blocks.length).toBeGreaterThan(1);
    for (const block of blocks.filter((candidate) => candidate.complete)) {
      const findings = [...validateSchemas(block.docs, '1.33', block.source), ...checkRules([block])];
      expect(findings, `${block.source}\n${show(findings)}`).toEqual([]);
    }
  });

  test('every fragment is valid where it goes in a Job', { timeout: 30_000 }, () => {
    for (const block of blocks.filter((candidate) => !candidate.complete)) {
      for (const fragment of block.docs) {
        const findings = validateSchemas([placeInJob(fragment, block.source)], '1.33', block.source);
        expect(findings, `${block.source}\n${show(findings)}`).toEqual([]);
      }
    }
  });
});

/** A fragment (`podFailurePolicy: …`, `securityContext: …`) placed where its first key belongs in a Job. */
function placeInJob(fragment: Doc, source: string): Doc {
  const container: Doc = { name: 'worker', image: 'debian:bookworm-slim' };
  const pod: Doc = { restartPolicy: 'Never', containers: [container] };
  const spec: Doc = { completions: 1, completionMode: 'Indexed', template: { spec: pod } };
  const job: Doc = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'fragment' }, spec };
  for (const [key, value] of Object.entries(fragment)) {
    if (['podFailurePolicy', 'backoffLimit', 'completions', 'parallelism'].includes(key)) spec[key] = value;
    else if (['volumes', 'initContainers', 'subdomain', 'terminationGracePeriodSeconds'].includes(key)) pod[key] = value;
    else if (['securityContext', 'env', 'volumeMounts', 'command', 'args'].includes(key)) container[key] = value;
    else throw new Error(`${source}: a YAML fragment starting with "${key}" has no known place in a Job; give the block apiVersion and kind`);
  }
  return job;
}

/** The quickstart with one thing broken: every rule must catch its mistake. */
function broken(edit: (docs: Doc[]) => void, extra: Partial<Manifest> = {}): Finding[] {
  const manifest = loadExample(join(REPO, 'examples/quickstart.yaml'));
  const docs = structuredClone(manifest.docs) as Doc[];
  edit(docs);
  return checkRules([{ ...manifest, ...extra, docs }]);
}
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const jobOf = (docs: Doc[]) => docs.find((doc) => doc.kind === 'Job') as Any;
const worker = (docs: Doc[]) => jobOf(docs).spec.template.spec.containers[0];
const rulesOf = (findings: Finding[]) => findings.map((finding) => finding.rule);

describe('the rules catch what they are for', () => {
  test('the quickstart as it is has no finding', () => expect(broken(() => {})).toEqual([]));
  test('an env name set twice', () => expect(rulesOf(broken((docs) => worker(docs).env.push({ name: 'ROLLCALL_COUNT', value: '3' })))).toEqual(['env-twice']));
  test('a Secret nobody creates', () => expect(broken(() => {}, { commands: [] })).toMatchObject([{ rule: 'undeclared', message: expect.stringContaining('reads Secret rollcall') }]));
  test('a ConfigMap volume the file does not define', () => expect(rulesOf(broken((docs) => jobOf(docs).spec.template.spec.volumes.push({ name: 'cfg', configMap: { name: 'nowhere' } })))).toEqual(['undeclared']));
  test('a Service selector that does not match the Job', () => expect(rulesOf(broken((docs) => ((docs[0] as Any).spec.selector['job-name'] = 'other')))).toEqual(['selector']));
  test('a subdomain that names no Service', () => expect(rulesOf(broken((docs) => (jobOf(docs).spec.template.spec.subdomain = 'elsewhere')))).toEqual(['selector']));
  test("ROLLCALL_GROUP other than the JobSet's replicatedJobs, or on a Job", () => {
    const jobSet = loadExample(join(REPO, 'examples/jobset-driver-workers.yaml'));
    const edited = (edit: (doc: Any) => void) => {
      const docs = structuredClone(jobSet.docs) as Any[];
      edit(docs[0]);
      return checkRules([{ ...jobSet, docs }]);
    };
    expect(edited(() => {})).toEqual([]);
    expect(rulesOf(edited((doc) => (doc.spec.replicatedJobs[1].replicas = 3)))).toEqual(['group', 'group']);
    expect(edited((doc) => (doc.spec.replicatedJobs[1].name = 'workerz'))).toMatchObject([{ rule: 'group', message: expect.stringContaining("the JobSet's replicatedJobs driver:1x1,workerz:2x2") }, { rule: 'group' }]);
    expect(rulesOf(broken((docs) => worker(docs).env.push({ name: 'ROLLCALL_GROUP', value: 'a:3' })))).toEqual(['group']);
  });
  test('ROLLCALL_COUNT other than completions', () => expect(rulesOf(broken((docs) => (jobOf(docs).spec.completions = jobOf(docs).spec.parallelism = 4)))).toEqual(['count']));
  test("ROLLCALL_COUNT as MIN:MAX: an elastic group's MAX is the completions", () => {
    const elastic = (range: string) => (docs: Doc[]) => (worker(docs).env.find((entry: Any) => entry.name === 'ROLLCALL_COUNT').value = range);
    const completions = String(jobOf(loadExample(join(REPO, 'examples/quickstart.yaml')).docs).spec.completions);
    expect(broken(elastic(`2:${completions}`))).toEqual([]);
    expect(rulesOf(broken(elastic(`2:${Number(completions) + 1}`)))).toEqual(['count']);
  });
  test('a volume mounted where it hides the image (the rollcall image\'s entrypoint)', () => {
    const findings = broken((docs) => (jobOf(docs).spec.template.spec.initContainers[0].volumeMounts[0].mountPath = '/opt/rollcall'));
    expect(rulesOf(findings)).toContain('mount-hides-image');
  });
  test('a command the image lacks: sh in the rollcall image, python in debian, a launcher no init container installed', () => {
    expect(broken((docs) => Object.assign(worker(docs), { image: 'rollcall:0.1.0', command: undefined, args: ['--', 'sh', '-c', 'true'] }))).toMatchObject([{ rule: 'command', message: expect.stringContaining('runs sh, which rollcall:0.1.0 does not have') }]);
    expect(broken((docs) => (worker(docs).image = 'debian:bookworm-slim'))).toMatchObject([{ rule: 'command', message: expect.stringContaining('runs python') }]);
    expect(broken((docs) => (jobOf(docs).spec.template.spec.initContainers[0].args = ['wait']))).toMatchObject([{ rule: 'command', message: expect.stringContaining('runs /rollcall/rollcall') }]);
  });
  test('an image nobody described', () => expect(rulesOf(broken((docs) => (worker(docs).image = 'alpine:3')))).toEqual(['image']));
  test('a Job that is not Indexed, or starts fewer pods than its group', () => {
    expect(rulesOf(broken((docs) => (jobOf(docs).spec.completionMode = 'NonIndexed')))).toEqual(['indexed']);
    expect(rulesOf(broken((docs) => (jobOf(docs).spec.parallelism = 2)))).toEqual(['parallelism']);
  });
  test('no version claimed, or one without a schema here', () => {
    expect(rulesOf(broken(() => {}, { claims: undefined }))).toEqual(['version']);
    expect(rulesOf(broken(() => {}, { claims: '1.29' }))).toEqual(['version']);
  });
  test('two files defining one object', () => {
    const one = loadExample(join(REPO, 'examples/quickstart.yaml'));
    expect(rulesOf(checkRules([one, { ...one, source: 'examples/copy.yaml' }]))).toEqual(['name-clash', 'name-clash']);
  });
  test('the schema refuses a wrong type, a wrong enum and an unknown field, and names each', { timeout: 30_000 }, () => {
    const docs = structuredClone(loadExample(join(REPO, 'examples/quickstart.yaml')).docs) as Doc[];
    Object.assign(jobOf(docs).spec, { completionMode: 'Indexd', completion: 3 });
    worker(docs).imagePullPolicy = 7;
    const messages = validateSchemas(docs, '1.33', 'test').map((finding) => finding.message).join('\n');
    expect(messages).toContain('completionMode must be equal to one of the allowed values');
    expect(messages).toContain('/spec/completion: unknown field');
    expect(messages).toContain('imagePullPolicy must be string');
  });
  test('a JobSet is held to its CRD: a wrong type and an unknown field', () => {
    const jobSet = structuredClone(loadExample(join(REPO, 'examples/jobset.yaml')).docs[0]) as Any;
    jobSet.spec.replicatedJobs[0].replicas = 'two';
    jobSet.spec.network.enableDNSHostname = true;
    const messages = validateSchemas([jobSet], '1.33', 'test').map((finding) => finding.message);
    expect(messages).toEqual(['/spec/replicatedJobs/0/replicas must be integer', '/spec/network/enableDNSHostname: unknown field']);
  });
});

describe('fate-sharing.yaml', () => {
  const job = loadExample(join(REPO, 'examples/fate-sharing.yaml')).docs.find((doc) => doc.kind === 'Job') as Any;
  const policy = job.spec.podFailurePolicy.rules as Any[];
  const actionFor = (code: number) => policy.find((rule) => (rule.onExitCodes.values as number[]).includes(code))?.action;
  const envValue = (name: string) => (job.spec.template.spec.containers[0].env as Any[]).find((entry) => entry.name === name)?.value as string | undefined;

  test('the podFailurePolicy ignores the consequences (75) and fails the Job on a configuration error (78)', () => {
    expect(actionFor(PEER_FAILED_EXIT)).toBe('Ignore');
    expect(actionFor(78)).toBe('FailJob');
    // The trainer's own failure (say exit 1) is the default: counted against backoffLimit.
    expect(actionFor(1)).toBeUndefined();
  });

  test("the kubelet's grace outlasts rollcall's, which stays under the 30 s default", () => {
    expect(Number.parseInt(envValue('ROLLCALL_GRACE') ?? '', 10)).toBeLessThan(job.spec.template.spec.terminationGracePeriodSeconds);
    expect(envValue('ROLLCALL_RESTARTS')).toMatch(/^\d+$/);
  });
});

test('bake-in.Dockerfile copies the directory the rollcall image keeps, and runs its launcher', () => {
  const image = readFileSync(join(REPO, 'docker/Dockerfile'), 'utf8');
  const bakeIn = readFileSync(join(REPO, 'examples/bake-in.Dockerfile'), 'utf8');
  expect(image).toContain('cp dist/rollcall-launcher.sh out/opt/rollcall/rollcall');
  expect(image).toContain('COPY --from=build /src/out/ /');
  expect(bakeIn).toContain('COPY --from=rollcall /opt/rollcall/ /rollcall/');
  expect(bakeIn).toContain('ENTRYPOINT ["/rollcall/rollcall", "--"]');
});

test("the README's first recipe is examples/quickstart.yaml, word for word", () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /```yaml\n(apiVersion: v1\nkind: Service\n[\s\S]*?)```/.exec(readme)?.[1];
  const parse = (text: string) => parseAllDocuments(text).map((doc) => doc.toJS() as Doc);
  expect(block, 'the README has a Service + Job YAML block').toBeDefined();
  expect(parse(block ?? '')).toEqual(parse(readFileSync(join(REPO, 'examples/quickstart.yaml'), 'utf8')));
});
