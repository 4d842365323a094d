import { ConfigError } from '../errors.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL = 63;

/** True for an RFC 1123 label as Kubernetes requires of hostnames and Service names. */
export function isDnsLabel(value: string): boolean {
  return value.length <= MAX_LABEL && DNS_LABEL.test(value);
}

/** Throws a ConfigError naming `variable` unless `value` is a DNS-1123 label. */
export function assertDnsLabel(variable: string, value: string): void {
  if (value.length > MAX_LABEL) {
    throw new ConfigError(variable, value, `is ${value.length} characters, over the DNS label limit of ${MAX_LABEL}`, 'Shorten the name.');
  }
  if (!DNS_LABEL.test(value)) {
    throw new ConfigError(
      variable,
      value,
      'is not a DNS-1123 label',
      'Use lower-case letters, digits and "-", starting and ending with a letter or digit.',
    );
  }
}

/** The pod hostname Kubernetes gives index `index` of an Indexed Job. */
export function podHostname(job: string, index: number): string {
  return `${job}-${index}`;
}

/** `<job>-<i>.<subdomain>`: the name the task page uses, resolved through the pod's search list. */
export function peerShortName(job: string, index: number, subdomain: string): string {
  return shortName(podHostname(job, index), subdomain);
}

/** `<job>-<i>.<subdomain>.<namespace>.svc.<domain>`: the absolute name, one DNS query with no search-list fan-out. */
export function peerFqdn(job: string, index: number, subdomain: string, namespace: string, clusterDomain: string): string {
  return fqdn(podHostname(job, index), subdomain, namespace, clusterDomain);
}

/** `<hostname>.<subdomain>`: a pod's name under its headless Service. */
export function shortName(hostname: string, subdomain: string): string {
  return `${hostname}.${subdomain}`;
}

export function fqdn(hostname: string, subdomain: string, namespace: string, clusterDomain: string): string {
  return `${shortName(hostname, subdomain)}.${namespace}.svc.${clusterDomain}`;
}

/** A cluster domain is one or more labels (`cluster.local`); a trailing dot is tolerated. */
export function assertDomain(variable: string, value: string): string {
  const domain = value.endsWith('.') ? value.slice(0, -1) : value;
  if (domain.length === 0 || domain.length > 253 || !domain.split('.').every(isDnsLabel)) {
    throw new ConfigError(variable, value, 'is not a DNS domain', 'Use dot-separated DNS-1123 labels, e.g. "cluster.local".');
  }
  return domain;
}
