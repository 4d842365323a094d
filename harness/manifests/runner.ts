import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, KUBERNETES_SERVICE_ENV, type Pod, type PodReport } from '../cluster/cluster.js';
import { waitUntil } from '../cluster/wait.js';
import { imageFacts } from './images.js';
import { containerScript, quote, type ContainerPlan } from './kubelet.js';
import type { Manifest } from './manifests.js';

/**
 * Runs a manifest's Jobs (a JobSet's too) on the simulated cluster as Kubernetes would: a pod per index,
 * and a LeaderWorkerSet's groups, a leader and its workers each;
 * each container's env from `value`, `fieldRef`, `secretKeyRef` and `configMapKeyRef`, command and args
 * over its image's entrypoint, init containers first, volumes (emptyDir, ConfigMap, image) mounted where
 * the manifest says, over the image's files; then the Job's end from its pods' exit codes under its
 * podFailurePolicy and backoffLimit. Not modelled: retries of failed pods, NetworkPolicies, probes.
 */
export interface JobRun {
  job: string;
  /**
   * `Complete`, `Failed` (a FailJob rule, or more failures than backoffLimit), or `Retrying` (failures the
   * Job would retry); for a LeaderWorkerSet's group, `Running` (every pod still up once all had printed).
   */
  status: 'Complete' | 'Failed' | 'Retrying' | 'Running';
  why: string;
  pods: PodReport[];
  /** Which container each pod ended in: its last, or the init container that failed. */
  endedIn: string[];
}

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const NAMESPACE = 'default';

/** A Job, or a LeaderWorkerSet's group (whose pods serve: they run until stopped), and its pods. */
interface JobPlan {
  name: string;
  spec: Any;
  pods: PodPlan[];
  serving: boolean;
}

/** One pod: its hostname as `<job>-<index>`, its template, and what Kubernetes and the controller give it. */
interface PodPlan {
  job: string;
  index: number;
  template: Any;
  labels: Record<string, string>;
  env: Record<string, string>;
}

/** An Indexed Job's pods: one per completion index, labelled and given JOB_COMPLETION_INDEX as the Job controller does. */
function jobPods(name: string, spec: Any, labels: Record<string, string>): PodPlan[] {
  const uid = randomUUID();
  return Array.from({ length: spec.completions }, (_, index) => ({
    job: name,
    index,
    template: spec.template,
    labels: { ...spec.template.metadata?.labels, ...labels, 'batch.kubernetes.io/controller-uid': uid, 'controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'job-name': name, 'batch.kubernetes.io/job-completion-index': String(index) },
    env: { HOSTNAME: `${name}-${index}`, JOB_COMPLETION_INDEX: String(index) },
  }));
}

/**
 * A LeaderWorkerSet's groups, as its controller makes them: group g's leader `<lws>-<g>` (leaderTemplate,
 * else workerTemplate) and workers `<lws>-<g>-<i>`, each labelled and given LWS_LEADER_ADDRESS,
 * LWS_GROUP_SIZE and LWS_WORKER_INDEX.
 */
function leaderWorkerGroups(doc: Any): JobPlan[] {
  const name = doc.metadata.name as string;
  const { size, leaderTemplate, workerTemplate } = doc.spec.leaderWorkerTemplate;
  return Array.from({ length: doc.spec.replicas ?? 1 }, (_, group) => ({
    name: `${name}-${group}`,
    spec: {},
    serving: true,
    pods: Array.from({ length: size }, (_, worker) => ({
      job: worker === 0 ? name : `${name}-${group}`,
      index: worker === 0 ? group : worker,
      template: worker === 0 ? (leaderTemplate ?? workerTemplate) : workerTemplate,
      labels: { ...(worker === 0 ? (leaderTemplate ?? workerTemplate) : workerTemplate).metadata?.labels, 'leaderworkerset.sigs.k8s.io/name': name, 'leaderworkerset.sigs.k8s.io/group-index': String(group), 'leaderworkerset.sigs.k8s.io/worker-index': String(worker) },
      env: { HOSTNAME: worker === 0 ? `${name}-${group}` : `${name}-${group}-${worker}`, LWS_LEADER_ADDRESS: `${name}-${group}.${name}.${NAMESPACE}`, LWS_GROUP_SIZE: String(size), LWS_WORKER_INDEX: String(worker) },
    })),
  }));
}

/** What the manifest's header commands and Secret objects hold: name → key → value. */
function secretsOf(manifest: Manifest): Map<string, Record<string, string>> {
  const secrets = new Map<string, Record<string, string>>();
  for (const command of manifest.commands) {
    const match = /^kubectl create secret generic ([\w.-]+) (.*)$/.exec(command);
    if (match === null) continue;
    const values: Record<string, string> = {};
    for (const [, key, literal] of (match[2] as string).matchAll(/--from-literal=([\w.-]+)=("\$\([^)]*\)"|\S+)/g)) {
      // A value the reader's shell makes (random bytes) is made here the same way; a literal is kept.
      values[key as string] = (literal as string).startsWith('"$(') ? randomBytes(32).toString('base64') : (literal as string);
    }
    secrets.set(match[1] as string, values);
  }
  for (const doc of manifest.docs.filter((candidate) => candidate.kind === 'Secret') as Any[]) {
    const decoded = Object.fromEntries(Object.entries((doc.data ?? {}) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]));
    secrets.set(doc.metadata.name, { ...decoded, ...doc.stringData });
  }
  return secrets;
}

function jobsOf(manifest: Manifest): { jobs: JobPlan[]; subdomain: string; publishNotReady: boolean } {
  const jobs: JobPlan[] = [];
  let subdomain: string | undefined;
  let publishNotReady = false;
  for (const doc of manifest.docs as Any[]) {
    if (doc.kind === 'Job') {
      jobs.push({ name: doc.metadata.name, spec: doc.spec, pods: jobPods(doc.metadata.name, doc.spec, {}), serving: false });
      subdomain = doc.spec.template.spec.subdomain;
      const service = manifest.docs.find((other: Any) => other.kind === 'Service' && other.metadata.name === subdomain) as Any;
      publishNotReady = service?.spec.publishNotReadyAddresses === true;
    } else if (doc.kind === 'JobSet') {
      // JobSet names each child Job <jobset>-<replicatedJob>-<jobIndex>, behind a headless Service named after
      // itself, and labels its pods with the set's name and UID, their replicatedJob and their Job's index.
      const jobSetUid = randomUUID();
      for (const replicated of doc.spec.replicatedJobs) {
        for (let copy = 0; copy < (replicated.replicas ?? 1); copy++) {
          const labels = {
            'jobset.sigs.k8s.io/jobset-name': doc.metadata.name,
            'jobset.sigs.k8s.io/jobset-uid': jobSetUid,
            'jobset.sigs.k8s.io/replicatedjob-name': replicated.name,
            'jobset.sigs.k8s.io/replicatedjob-replicas': String(replicated.replicas ?? 1),
            'jobset.sigs.k8s.io/job-index': String(copy),
          };
          const name = `${doc.metadata.name}-${replicated.name}-${copy}`;
          jobs.push({ name, spec: replicated.template.spec, pods: jobPods(name, replicated.template.spec, labels), serving: false });
        }
      }
      subdomain = doc.spec.network?.subdomain ?? doc.metadata.name;
      publishNotReady = doc.spec.network?.publishNotReadyAddresses === true;
    } else if (doc.kind === 'LeaderWorkerSet') {
      if (doc.spec.networkConfig?.subdomainPolicy === 'UniquePerReplica') throw new Error(`${manifest.source}: subdomainPolicy UniquePerReplica (a Service per group) is not modelled`);
      // The controller makes one headless Service named after the set, publishing pods before they are ready.
      jobs.push(...leaderWorkerGroups(doc));
      subdomain = doc.metadata.name;
      publishNotReady = true;
    }
  }
  if (subdomain === undefined) throw new Error(`${manifest.source}: no Job with a subdomain, nor a JobSet or LeaderWorkerSet`);
  return { jobs, subdomain, publishNotReady };
}

/** The value of an env entry, as the kubelet resolves it for this pod. */
function envValue(entry: Any, context: { secrets: Map<string, Record<string, string>>; configMaps: Map<string, Record<string, string>>; pod: Record<string, string> }): string {
  if (entry.value !== undefined) return String(entry.value);
  const from = entry.valueFrom ?? {};
  const read = (store: Map<string, Record<string, string>>, ref: Any, kind: string) => {
    const value = store.get(ref.name)?.[ref.key];
    if (value === undefined) throw new Error(`${kind} ${ref.name} has no key ${ref.key}: the pod would stay in CreateContainerConfigError`);
    return value;
  };
  if (from.secretKeyRef !== undefined) return read(context.secrets, from.secretKeyRef, 'Secret');
  if (from.configMapKeyRef !== undefined) return read(context.configMaps, from.configMapKeyRef, 'ConfigMap');
  const field = context.pod[from.fieldRef?.fieldPath];
  if (field === undefined) throw new Error(`env ${entry.name}: fieldRef ${String(from.fieldRef?.fieldPath)} is not modelled by the manifest runner`);
  return field;
}

export interface RunOptions {
  /** A directory of this run's own: pods' volumes, roots and scripts. */
  work: string;
  /** The rollcall image's files (assembleRollcallImage), for containers and image volumes of it. */
  imageRoot: string;
  timeoutMs: number;
  /** Called with each cluster made, so that the caller tears it down whatever happens. */
  onCluster(cluster: Cluster): void;
}

export async function runManifest(manifest: Manifest, options: RunOptions): Promise<JobRun[]> {
  const secrets = secretsOf(manifest);
  const configMaps = new Map((manifest.docs.filter((doc) => doc.kind === 'ConfigMap') as Any[]).map((doc) => [doc.metadata.name as string, doc.data as Record<string, string>]));
  const { jobs, subdomain, publishNotReady } = jobsOf(manifest);
  // Without publishNotReadyAddresses a record comes once the pod is Ready: about a second after it starts.
  const cluster = await Cluster.create({ service: subdomain, namespace: NAMESPACE, publishDelayMs: publishNotReady ? 0 : 1000 });
  options.onCluster(cluster);
  const started: { job: JobPlan; pod: Pod; status: string }[] = [];
  for (const job of jobs) {
    for (const plan of job.pods) {
      const pod = planPod(plan, join(options.work, `${plan.job}-${plan.index}`), { secrets, configMaps, imageRoot: options.imageRoot });
      started.push({ job, pod: await cluster.startPod({ job: plan.job, index: plan.index, command: ['sh', pod.script] }), status: pod.status });
    }
  }
  // Serving pods run until stopped: each must have printed what the manifest says while all still run.
  const servers = started.filter((entry) => entry.job.serving).map((entry) => entry.pod);
  const printing = manifest.ends?.printing ?? '';
  await Promise.all(servers.map((pod) => waitUntil(`${pod.hostname} to print "${printing}"`, () => !pod.running || pod.report.stdout.includes(printing.replaceAll('{index}', String(pod.spec.index))), { timeoutMs: options.timeoutMs }).catch(() => {})));
  const stillRunning = new Set(servers.filter((pod) => pod.running));
  await Promise.all(servers.map((pod) => pod.kill()));
  const reports = await Promise.all(started.map(({ pod }) => pod.finished(options.timeoutMs)));
  return jobs.map((job) => {
    const mine = started.map((entry, at) => ({ ...entry, report: reports[at] as PodReport })).filter((entry) => entry.job === job);
    const endedIn = mine.map((entry) => readFileSync(entry.status, 'utf8').trim());
    const gone = mine.filter((entry) => !stillRunning.has(entry.pod)).map((entry) => entry.pod.hostname);
    const verdict: Pick<JobRun, 'status' | 'why'> = !job.serving
      ? judge(job.spec, mine.map((entry) => entry.report), endedIn)
      : gone.length === 0
        ? { status: 'Running', why: `all ${mine.length} pods running when every one had printed` }
        : { status: 'Failed', why: `${gone.join(', ')} ended (a serving pod would be restarted)` };
    return { job: job.name, ...verdict, pods: mine.map((entry) => entry.report), endedIn };
  });
}

/** The Job controller's verdict on its pods' exits under podFailurePolicy and backoffLimit (no retries run). */
export function judge(spec: Any, pods: Pick<PodReport, 'index' | 'exitCode' | 'signal'>[], endedIn: string[]): Pick<JobRun, 'status' | 'why'> {
  let counted = 0;
  for (const [at, pod] of pods.entries()) {
    const code = pod.exitCode ?? 128 + 9;
    if (code === 0 && pod.signal === null) continue;
    const rule = (spec.podFailurePolicy?.rules ?? []).find((candidate: Any) => {
      const onExit = candidate.onExitCodes;
      if (onExit === undefined || (onExit.containerName !== undefined && onExit.containerName !== endedIn[at])) return false;
      return onExit.operator === 'In' ? onExit.values.includes(code) : !onExit.values.includes(code);
    });
    if (rule?.action === 'FailJob') return { status: 'Failed', why: `index ${pod.index} exited ${code}: podFailurePolicy FailJob` };
    if (rule?.action !== 'Ignore') counted += 1;
  }
  if (counted > (spec.backoffLimit ?? 6)) return { status: 'Failed', why: `${counted} failed pods, over backoffLimit ${spec.backoffLimit ?? 6}` };
  if (counted > 0 || pods.some((pod) => pod.exitCode !== 0)) return { status: 'Retrying', why: `${counted} failed pods counted against backoffLimit ${spec.backoffLimit ?? 6}; their indexes would run again` };
  return { status: 'Complete', why: `all ${pods.length} indexes succeeded` };
}

/** Writes one pod's scripts: its init containers in order, then its container; returns what to run. */
function planPod(plan: PodPlan, dir: string, context: { secrets: Map<string, Record<string, string>>; configMaps: Map<string, Record<string, string>>; imageRoot: string }): { script: string; status: string } {
  const spec = plan.template.spec as Any;
  mkdirSync(dir, { recursive: true });
  const podName = `${plan.job}-${plan.index}-${randomBytes(3).toString('hex')}`;
  const fields: Record<string, string> = { 'metadata.name': podName, 'metadata.namespace': NAMESPACE, ...Object.fromEntries(Object.entries(plan.labels).map(([key, value]) => [`metadata.labels['${key}']`, value])) };
  const volumes = new Map<string, string>();
  for (const volume of (spec.volumes ?? []) as Any[]) {
    const path = join(dir, 'volumes', volume.name);
    if (volume.emptyDir !== undefined) {
      mkdirSync(path, { recursive: true });
      chmodSync(path, 0o777);
    } else if (volume.configMap !== undefined) {
      mkdirSync(path, { recursive: true });
      for (const [key, value] of Object.entries(context.configMaps.get(volume.configMap.name) ?? {})) writeFileSync(join(path, key), value);
    } else if (/^rollcall:/.test(volume.image?.reference ?? '')) {
      volumes.set(volume.name, context.imageRoot);
      continue;
    } else throw new Error(`volume ${volume.name}: only emptyDir, configMap and the rollcall image are modelled`);
    volumes.set(volume.name, path);
  }
  const containers = [...((spec.initContainers ?? []) as Any[]), ...((spec.containers as Any[]).length === 1 ? spec.containers : [])];
  if ((spec.containers as Any[]).length !== 1) throw new Error(`${plan.job}-${plan.index}: the manifest runner runs one container a pod`);
  const status = join(dir, 'ended-in');
  const steps = containers.map((container: Any, at: number) => {
    const image = imageFacts(container.image);
    if (image === undefined) throw new Error(`container ${container.name}: image ${container.image} is not described in harness/manifests/images.ts`);
    const env: Record<string, string> = { ...KUBERNETES_SERVICE_ENV, ...plan.env };
    for (const entry of container.env ?? []) env[entry.name] = envValue(entry, { ...context, pod: fields });
    const containerPlan: ContainerPlan = {
      name: container.name,
      image,
      argv: [...(container.command ?? image.entrypoint), ...(container.args ?? [])],
      env,
      // An image volume is read-only whatever the mount says.
      mounts: ((container.volumeMounts ?? []) as Any[]).map((mount) => ({ path: mount.mountPath, source: volumes.get(mount.name) as string, readOnly: mount.readOnly === true || volumes.get(mount.name) === context.imageRoot })),
    };
    const script = join(dir, `${at}-${container.name}.sh`);
    writeFileSync(script, containerScript(containerPlan, { root: join(dir, `root-${at}`), shims: join(dir, `shims-${at}`), imageRoot: context.imageRoot }));
    mkdirSync(join(dir, `root-${at}`));
    // Each container has its own PID namespace, as in a pod: its entrypoint (tini) is PID 1.
    const run = `unshare --mount --propagation private --pid --fork --kill-child sh ${quote(script)}`;
    return `echo ${quote(container.name)} > ${quote(status)}\n${at < containers.length - 1 ? `${run} || exit $?` : `exec ${run}`}`;
  });
  const kubelet = join(dir, 'kubelet.sh');
  writeFileSync(kubelet, `${steps.join('\n')}\n`);
  return { script: kubelet, status };
}
