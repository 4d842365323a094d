import { isIP } from 'node:net';

// What the kubelet writes into a pod's /etc/hosts and resolv.conf, read for the pod's own facts.

export interface HostsFacts {
  subdomain: string | undefined;
  namespace: string | undefined;
  clusterDomain: string | undefined;
  podIps: string[];
}

/**
 * The kubelet writes `<podIP>\t<host>.<subdomain>.<ns>.svc.<domain>\t<host>` for a pod with a
 * subdomain (one line per pod IP on dual-stack), and `<podIP>\t<host>` without one.
 */
export function parseKubeletHosts(text: string, hostname: string): HostsFacts {
  const facts: HostsFacts = { subdomain: undefined, namespace: undefined, clusterDomain: undefined, podIps: [] };
  const short = hostname.split('.')[0] ?? hostname;
  for (const line of text.split('\n')) {
    const [ip, ...names] = (line.split('#')[0] ?? '').trim().split(/\s+/);
    // Names first: the IPv6 test compiles a large pattern on first use (milliseconds before the pod's first
    // question), and only this pod's own lines need it.
    if (ip === undefined || !names.some((name) => name === short || name.startsWith(`${short}.`)) || isIP(ip) === 0) continue;
    if (!facts.podIps.includes(ip)) facts.podIps.push(ip);
    for (const name of names) {
      const labels = name.split('.');
      if (labels[0] === short && labels.length >= 5 && labels[3] === 'svc') {
        facts.subdomain ??= labels[1];
        facts.namespace ??= labels[2];
        facts.clusterDomain ??= labels.slice(4).join('.');
      }
    }
  }
  return facts;
}

/** A pod's resolv.conf searches `<ns>.svc.<domain> svc.<domain> <domain>` first. */
export function parseSearchDomain(text: string): { namespace: string; clusterDomain: string } | undefined {
  for (const line of text.split('\n')) {
    const [keyword, first] = line.trim().split(/\s+/);
    if (keyword !== 'search' || first === undefined) continue;
    const labels = first.replace(/\.$/, '').split('.');
    if (labels.length >= 3 && labels[1] === 'svc' && labels[0] !== undefined) {
      return { namespace: labels[0], clusterDomain: labels.slice(2).join('.') };
    }
    return undefined;
  }
  return undefined;
}

