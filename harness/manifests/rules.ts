import { posix } from 'node:path';
import { imageFacts, isRollcallImage, ROLLCALL_IMAGE, type ImageFacts } from './images.js';
import type { Manifest } from './manifests.js';
import { parseGroupParts, type GroupPart } from '../../src/identity/membership.js';
import { objectName, SCHEMAS, type Doc } from './schema.js';

/** What the schema cannot say about a manifest, but a reader who applies it meets at once. */
export interface Finding {
  source: string;
  object: string;
  rule: string;
  message: string;
}

type Container = Doc & { name: string; image?: string; command?: string[]; args?: string[]; env?: Doc[]; envFrom?: Doc[]; volumeMounts?: { name: string; mountPath: string }[] };
type PodSpec = Doc & { containers: Container[]; initContainers?: Container[]; volumes?: Doc[]; subdomain?: string };

/** A pod template and the Job that makes its pods. */
interface PodOf {
  object: string;
  jobName: string;
  job: Doc;
  pod: PodSpec;
  labels: Record<string, string>;
  /** JobSet pods: JobSet makes their Service and subdomain. */
  jobSet: boolean;
  /** A JobSet's replicatedJobs as ROLLCALL_GROUP's parts (none for a Job). */
  parts: GroupPart[];
  /** A LeaderWorkerSet's pods: no Job (`job` holds the group's `size`), and the controller makes their Service. */
  serving?: boolean;
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
const asDoc = (value: unknown): Doc => (value !== null && typeof value === 'object' ? (value as Doc) : {});

function podsOf(manifest: Manifest): PodOf[] {
  return manifest.docs.flatMap((doc, position): PodOf[] => {
    const name = String(asDoc(doc.metadata).name ?? '');
    const spec = asDoc(doc.spec);
    const template = (job: Doc) => asDoc(job.template);
    if (doc.kind === 'Job') {
      return [{ object: objectName(doc, position), jobName: name, job: spec, pod: asDoc(template(spec).spec) as PodSpec, labels: asDoc(asDoc(template(spec).metadata).labels) as Record<string, string>, jobSet: false, parts: [] }];
    }
    if (doc.kind === 'LeaderWorkerSet') {
      // Its pods are a StatefulSet's, not a Job's: only the pod-level rules apply.
      const { leaderTemplate, workerTemplate } = asDoc(asDoc(spec.leaderWorkerTemplate));
      return [leaderTemplate, workerTemplate].flatMap((template, at) =>
        template === undefined ? [] : [{ object: `${objectName(doc, position)}/${at === 0 ? 'leader' : 'worker'}`, jobName: name, job: { size: asDoc(spec.leaderWorkerTemplate).size }, pod: asDoc(asDoc(template).spec) as PodSpec, labels: {}, jobSet: false, parts: [], serving: true }],
      );
    }
    if (doc.kind === 'JobSet') {
      const replicatedJobs = list<Doc>(spec.replicatedJobs);
      const parts = replicatedJobs.map((replicated) => ({ name: String(replicated.name), jobs: Number(replicated.replicas ?? 1), completions: Number(asDoc(asDoc(replicated.template).spec).completions) }));
      return replicatedJobs.map((replicated) => {
        const job = asDoc(asDoc(replicated.template).spec);
        return { object: `${objectName(doc, position)}/${String(replicated.name)}`, jobName: `${name}-${String(replicated.name)}`, job, pod: asDoc(template(job).spec) as PodSpec, labels: {}, jobSet: true, parts };
      });
    }
    return [];
  });
}

const containersOf = (pod: PodSpec): Container[] => [...list<Container>(pod.initContainers), ...list<Container>(pod.containers)];
const envValue = (container: Container, name: string) => list<Doc>(container.env).find((entry) => entry.name === name);

/** Secrets and ConfigMaps the manifest defines, or the commands before it create. */
function provided(manifest: Manifest, kind: 'Secret' | 'ConfigMap'): Set<string> {
  const names = manifest.docs.filter((doc) => doc.kind === kind).map((doc) => String(asDoc(doc.metadata).name));
  const pattern = kind === 'Secret' ? /^kubectl create secret [\w-]+ ([\w.-]+)/ : /^kubectl create configmap ([\w.-]+)/;
  for (const command of manifest.commands) {
    const created = pattern.exec(command)?.[1];
    if (created !== undefined) names.push(created);
  }
  return new Set(names);
}

function references(pod: PodSpec): { kind: 'Secret' | 'ConfigMap'; name: string; where: string }[] {
  const found: { kind: 'Secret' | 'ConfigMap'; name: string; where: string }[] = [];
  for (const container of containersOf(pod)) {
    for (const entry of list<Doc>(container.env)) {
      const from = asDoc(entry.valueFrom);
      if (from.secretKeyRef !== undefined) found.push({ kind: 'Secret', name: String(asDoc(from.secretKeyRef).name), where: `${container.name} env ${String(entry.name)}` });
      if (from.configMapKeyRef !== undefined) found.push({ kind: 'ConfigMap', name: String(asDoc(from.configMapKeyRef).name), where: `${container.name} env ${String(entry.name)}` });
    }
    for (const entry of list<Doc>(container.envFrom)) {
      if (entry.secretRef !== undefined) found.push({ kind: 'Secret', name: String(asDoc(entry.secretRef).name), where: `${container.name} envFrom` });
      if (entry.configMapRef !== undefined) found.push({ kind: 'ConfigMap', name: String(asDoc(entry.configMapRef).name), where: `${container.name} envFrom` });
    }
  }
  for (const volume of list<Doc>(pod.volumes)) {
    if (volume.secret !== undefined) found.push({ kind: 'Secret', name: String(asDoc(volume.secret).secretName), where: `volume ${String(volume.name)}` });
    if (volume.configMap !== undefined) found.push({ kind: 'ConfigMap', name: String(asDoc(volume.configMap).name), where: `volume ${String(volume.name)}` });
  }
  return found;
}

/** The files a volume puts at a container's mount: what `rollcall install` writes, an image's files, a ConfigMap's keys. */
function volumeFiles(manifest: Manifest, pod: PodSpec, volumeName: string): string[] | undefined {
  const volume = list<Doc>(pod.volumes).find((candidate) => candidate.name === volumeName);
  if (volume === undefined) return undefined;
  if (volume.emptyDir !== undefined) {
    for (const init of list<Container>(pod.initContainers)) {
      const mount = list<{ name: string; mountPath: string }>(init.volumeMounts).find((candidate) => candidate.name === volumeName);
      if (mount !== undefined && isRollcallImage(String(init.image)) && init.command === undefined && init.args?.[0] === 'install' && init.args[1] === mount.mountPath) return ['/rollcall', '/rollcall-linux'];
    }
    return [];
  }
  const reference = String(asDoc(volume.image).reference ?? '');
  if (isRollcallImage(reference)) return ROLLCALL_IMAGE.files;
  if (volume.configMap !== undefined) {
    const map = manifest.docs.find((doc) => doc.kind === 'ConfigMap' && asDoc(doc.metadata).name === asDoc(volume.configMap).name);
    return Object.keys(asDoc(map?.data)).map((key) => `/${key}`);
  }
  return undefined;
}

/** Where an absolute path in a container comes from: the image, a volume mounted over it, or nowhere. */
function fileThere(manifest: Manifest, pod: PodSpec, container: Container, image: ImageFacts, path: string): boolean {
  const mount = list<{ name: string; mountPath: string }>(container.volumeMounts)
    .filter((candidate) => path === candidate.mountPath || path.startsWith(`${candidate.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (mount === undefined) return image.files.includes(path);
  if (path === mount.mountPath) return true;
  const files = volumeFiles(manifest, pod, mount.name);
  return files === undefined || files.includes(path.slice(mount.mountPath.replace(/\/$/, '').length));
}

/** What the container runs, as the kubelet builds it: command (else the entrypoint), then args. */
const argvOf = (container: Container, image: ImageFacts): string[] => [...(container.command ?? image.entrypoint), ...(container.args ?? [])];

function checkPrograms(manifest: Manifest, pod: PodSpec, container: Container, image: ImageFacts, argv: string[], say: (message: string) => void): void {
  let words = argv;
  if (posix.basename(words[0] ?? '') === 'tini') words = words.slice(words.indexOf('--') + 1);
  const [program, ...rest] = words;
  if (program === undefined) return;
  const there = program.startsWith('/') ? fileThere(manifest, pod, container, image, program) : image.commands.includes(program);
  if (!there) say(`runs ${program}, which ${container.image} does not have${program.startsWith('/') ? ' at that path (nor does a volume mounted there)' : ' on its PATH'}`);
  const name = posix.basename(program);
  if (name === 'rollcall' && program.startsWith('/') && !image.shell) say(`runs rollcall's launcher ${program}, a shell script, in ${container.image}, which has no /bin/sh`);
  for (const path of rest.filter((word) => word.startsWith('/'))) {
    if (!fileThere(manifest, pod, container, image, path)) say(`passes ${path}, which neither ${container.image} nor a volume mounted there has`);
  }
  // rollcall runs what follows "--" in the same container: it must be there too.
  if ((name === 'rollcall' || name === 'rollcall-linux') && rest.includes('--')) checkPrograms(manifest, pod, container, image, rest.slice(rest.indexOf('--') + 1), say);
}

/** Every finding of every rule, for these manifests together (names are compared across them). */
export function checkRules(manifests: readonly Manifest[]): Finding[] {
  const findings: Finding[] = [];
  const owners = new Map<string, string>();
  for (const manifest of manifests) {
    const say = (object: string, rule: string) => (message: string) => findings.push({ source: manifest.source, object, rule, message });
    if (manifest.file && !Object.hasOwn(SCHEMAS, manifest.claims ?? '')) {
      say('(file)', 'version')(`claims ${manifest.claims === undefined ? 'no Kubernetes version ("# Kubernetes: 1.33 or later")' : `Kubernetes ${manifest.claims}, whose schema is not here (${Object.keys(SCHEMAS).join(', ')})`}`);
    }
    for (const [position, doc] of manifest.docs.entries()) {
      const key = objectName(doc, position);
      const owner = owners.get(key);
      if (owner !== undefined && owner !== manifest.source) say(key, 'name-clash')(`is also defined by ${owner}: applying both replaces one`);
      owners.set(key, manifest.source);
    }
    for (const { object, jobName, job, pod, labels, jobSet, parts, serving } of podsOf(manifest)) {
      const at = (rule: string) => say(object, rule);
      if (serving !== true && job.completionMode !== 'Indexed') at('indexed')('is not completionMode: Indexed: its pods have no index to find each other by');
      if (serving !== true && job.parallelism !== job.completions) at('parallelism')(`runs ${String(job.parallelism)} of ${String(job.completions)} pods at once: the rest wait for a group that cannot assemble`);
      const containerNames = containersOf(pod).map((container) => container.name);
      for (const rule of list<Doc>(asDoc(job.podFailurePolicy).rules)) {
        const named = asDoc(rule.onExitCodes).containerName;
        if (named !== undefined && !containerNames.includes(String(named))) at('pod-failure-policy')(`names container ${String(named)}, which the pod does not have`);
      }
      if (!jobSet && serving !== true) {
        const service = manifest.docs.find((doc) => doc.kind === 'Service' && asDoc(doc.metadata).name === pod.subdomain);
        const podLabels: Record<string, string> = { ...labels, 'job-name': jobName, 'batch.kubernetes.io/job-name': jobName };
        if (pod.subdomain === undefined) at('selector')('has no subdomain: its pods get no DNS names');
        else if (service === undefined) at('selector')(`has subdomain ${pod.subdomain}, and no Service of that name is in the manifest`);
        else {
          const selector = asDoc(asDoc(service.spec).selector) as Record<string, string>;
          const off = Object.entries(selector).filter(([label, value]) => podLabels[label] !== value);
          if (off.length > 0) at('selector')(`Service ${pod.subdomain} selects ${off.map(([label, value]) => `${label}=${value}`).join(', ')}, which the Job's pods do not have`);
          if (asDoc(service.spec).clusterIP !== 'None') at('selector')(`Service ${pod.subdomain} is not headless (clusterIP: None): its pods get no records of their own`);
        }
      }
      const secrets = provided(manifest, 'Secret');
      const maps = provided(manifest, 'ConfigMap');
      for (const { kind, name, where } of references(pod)) {
        if (!(kind === 'Secret' ? secrets : maps).has(name)) at('undeclared')(`${where} reads ${kind} ${name}, which the manifest neither defines nor creates in its commands`);
      }
      for (const container of containersOf(pod)) {
        const inContainer = (rule: string) => (message: string) => at(rule)(`container ${container.name}: ${message}`);
        const names = list<Doc>(container.env).map((entry) => String(entry.name));
        for (const twice of new Set(names.filter((name, index) => names.indexOf(name) !== index))) inContainer('env-twice')(`sets ${twice} more than once; Kubernetes keeps the last`);
        const count = envValue(container, 'ROLLCALL_COUNT');
        const size = serving === true ? { value: job.size, what: "the LeaderWorkerSet's size" } : { value: job.completions, what: "the Job's completions" };
        // An elastic group's MIN:MAX: its MAX is the Job's completions.
        const most = count === undefined ? undefined : String(count.value).split(':').at(-1);
        if (count !== undefined && most !== String(size.value)) inContainer('count')(`ROLLCALL_COUNT is ${String(count.value)}, ${size.what} ${String(size.value)}`);
        const group = envValue(container, 'ROLLCALL_GROUP');
        if (group !== undefined) {
          const listed = parseGroupParts('ROLLCALL_GROUP', String(group.value));
          const said = (each: GroupPart[]) => each.map((part) => `${part.name}:${part.jobs}x${part.completions}`).sort().join(',');
          if (said(listed) !== said(parts)) inContainer('group')(`ROLLCALL_GROUP is ${String(group.value)}, the JobSet's replicatedJobs ${parts.length === 0 ? 'none (this is a Job)' : said(parts)}`);
        }
        if (envValue(container, 'ROLLCALL_SECRET') !== undefined && asDoc(envValue(container, 'ROLLCALL_SECRET')?.valueFrom).secretKeyRef === undefined) inContainer('secret')('sets ROLLCALL_SECRET as a plain value: read it from a Secret');
        const image = imageFacts(String(container.image));
        if (image === undefined) {
          inContainer('image')(`runs ${String(container.image)}, an image harness/manifests/images.ts does not describe`);
          continue;
        }
        for (const mount of list<{ name: string; mountPath: string }>(container.volumeMounts)) {
          const hidden = image.files.filter((file) => file === mount.mountPath || file.startsWith(`${mount.mountPath.replace(/\/$/, '')}/`));
          if (hidden.length > 0) inContainer('mount-hides-image')(`volume ${mount.name} at ${mount.mountPath} hides ${hidden.join(', ')} of ${String(container.image)}`);
        }
        checkPrograms(manifest, pod, container, image, argvOf(container, image), inContainer('command'));
      }
    }
  }
  return findings;
}
