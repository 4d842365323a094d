import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { ConfigError } from '../errors.js';
import { assertDnsLabel, assertDomain } from './names.js';
import { SettingSource, type Env } from '../settings.js';
import { parseKubeletHosts, parseSearchDomain } from './pod-files.js';
import { agree, explicit } from './given.js';
import { groupOfPod, type GroupOptions } from './group-of-pod.js';
import type { Membership } from './membership.js';

/** Who this pod is within its group, and where its peers' names live. */
export interface Identity {
  /** This pod's rank in the group: its completion index, its place across a JobSet's parts, or its LWS_WORKER_INDEX. */
  index: number;
  /** Who is in the group, by rank, and each one's hostname; its size, and its name (the Job's, the JobSet's, or a LeaderWorkerSet leader's). */
  membership: Membership;
  /** The headless Service named as the pod template's `subdomain`. */
  subdomain: string;
  /** Known when the pod files or env tell; without namespace and domain, names go through the system resolver. */
  namespace: string | undefined;
  clusterDomain: string | undefined;
  hostname: string;
  /** This pod's own IPs as the kubelet wrote them into /etc/hosts (empty when unknown). */
  podIps: string[];
}

export interface IdentityOptions extends GroupOptions {
  subdomain?: string;
  namespace?: string;
  clusterDomain?: string;
  hostname?: string;
  /** Where the kubelet's files are; tests and non-Kubernetes runs point these elsewhere. */
  files?: PodFiles;
}

export interface PodFiles {
  hosts?: string;
  resolvConf?: string;
  serviceAccountNamespace?: string;
}

const DEFAULT_FILES: Required<PodFiles> = {
  hosts: '/etc/hosts',
  resolvConf: '/etc/resolv.conf',
  serviceAccountNamespace: '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
};

/** Who this pod is, from options, then env, then the env file, then the pod's own files. */
export function readIdentity(options: IdentityOptions & { env?: Env; envFile?: string } = {}): Identity {
  return detectIdentity(options, new SettingSource(options.env ?? process.env, options.envFile));
}

export function detectIdentity(options: IdentityOptions, settings: SettingSource): Identity {
  const files = { ...DEFAULT_FILES, ...options.files };
  const hostname = options.hostname ?? settings.get('ROLLCALL_HOSTNAME')?.value ?? osHostname();
  const { index, membership, service } = groupOfPod(options, settings, hostname);

  // The kubelet's line is about this pod only under the pod's own name; on any other machine the
  // hosts file describes something else and must not decide this pod's addresses.
  const hosts = readOptional(files.hosts);
  const fromHosts = hosts === undefined ? undefined : parseKubeletHosts(hosts, membership.hostname(index));
  const fromResolv = mapOptional(readOptional(files.resolvConf), parseSearchDomain);

  // The kubelet's line is the pod's own word on these: an explicit value that disagrees would build names
  // that are not this pod's, and the group would wait for a pod that does not exist.
  const kubelet = `the kubelet's line for ${hostname} in ${files.hosts}`;
  const explicitSubdomain = explicit(options.subdomain, 'subdomain', settings, 'ROLLCALL_SUBDOMAIN');
  agree(explicitSubdomain, service?.subdomain.value, `${service?.subdomain.name}'s subdomain`);
  const givenSubdomain = explicitSubdomain ?? service?.subdomain;
  agree(givenSubdomain, fromHosts?.subdomain, kubelet);
  const explicitNamespace = explicit(options.namespace, 'namespace', settings, 'ROLLCALL_NAMESPACE');
  agree(explicitNamespace, service?.namespace.value, `${service?.namespace.name}'s namespace`);
  const givenNamespace = explicitNamespace ?? service?.namespace;
  agree(givenNamespace, fromHosts?.namespace, kubelet);
  const explicitDomain = explicit(options.clusterDomain, 'clusterDomain', settings, 'ROLLCALL_CLUSTER_DOMAIN');
  agree(explicitDomain, fromHosts?.clusterDomain, kubelet, (value) => value.replace(/\.$/, ''));

  const subdomain = givenSubdomain?.value ?? fromHosts?.subdomain;
  if (subdomain === undefined) {
    throw new ConfigError(
      'ROLLCALL_SUBDOMAIN',
      undefined,
      `cannot be detected: ${files.hosts} has no "<ip> ${hostname}.<subdomain>.<namespace>.svc.<domain>" line`,
      'Set the pod template\'s spec.subdomain to the headless Service\'s name, or set ROLLCALL_SUBDOMAIN.',
    );
  }
  assertDnsLabel('ROLLCALL_SUBDOMAIN', subdomain);

  const namespace =
    givenNamespace?.value ??
    fromHosts?.namespace ??
    fromResolv?.namespace ??
    readOptional(files.serviceAccountNamespace)?.trim();
  if (namespace !== undefined) assertDnsLabel('ROLLCALL_NAMESPACE', namespace);

  const rawDomain = explicitDomain?.value ?? fromHosts?.clusterDomain ?? fromResolv?.clusterDomain;
  const clusterDomain = rawDomain === undefined ? undefined : assertDomain('ROLLCALL_CLUSTER_DOMAIN', rawDomain);

  return { index, membership, subdomain, namespace, clusterDomain, hostname, podIps: fromHosts?.podIps ?? [] };
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function mapOptional<T, R>(value: T | undefined, map: (value: T) => R): R | undefined {
  return value === undefined ? undefined : map(value);
}
