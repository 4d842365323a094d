import type { Peer } from '../barrier/group.js';

/**
 * The index a launcher's host word means: an index, a pod name (`job-3`), the DNS name or any longer
 * form of it up to the FQDN (what the hostfiles hold, and what Open MPI keeps or shortens), or one of
 * the pod's addresses. Case does not matter; a trailing dot does not either.
 */
export function targetIndex(host: string, peers: readonly Pick<Peer, 'index' | 'name' | 'fqdn' | 'addresses'>[]): number | undefined {
  const wanted = host.toLowerCase().replace(/\.$/, '');
  if (/^\d+$/.test(wanted)) {
    const index = Number(wanted);
    return index < peers.length ? index : undefined;
  }
  for (const peer of peers) {
    const full = (peer.fqdn ?? peer.name).toLowerCase();
    const podName = full.split('.')[0] as string;
    const nameForm = wanted === full || (wanted.startsWith(podName) && full.startsWith(`${wanted}.`));
    if (nameForm || peer.addresses.includes(host)) return peer.index;
  }
  return undefined;
}
