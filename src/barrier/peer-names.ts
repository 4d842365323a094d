import type { Identity } from '../identity/identity.js';
import { peerFqdn, peerShortName } from '../identity/names.js';

/** Every pod's names, by index: the short one people read, and the FQDN asked of the DNS when known. */
export class PeerNames {
  private readonly names: { short: string; fqdn: string | undefined }[];

  constructor(identity: Identity) {
    const { jobName, subdomain, namespace, clusterDomain } = identity;
    this.names = Array.from({ length: identity.count }, (_, index) => ({
      short: peerShortName(jobName, index, subdomain),
      fqdn: namespace === undefined || clusterDomain === undefined ? undefined : peerFqdn(jobName, index, subdomain, namespace, clusterDomain),
    }));
  }

  /** `<job>-<i>.<subdomain>`: what logs, errors and the workload's env say. */
  short(index: number): string {
    return this.names[index]?.short ?? String(index);
  }

  fqdn(index: number): string | undefined {
    return this.names[index]?.fqdn;
  }

  /** What is asked of the DNS: the absolute FQDN when namespace and domain are known. */
  lookup(index: number): string {
    return this.fqdn(index) ?? this.short(index);
  }

  /** Whether names go to rollcall's own resolver as absolute FQDNs (else the system's, with its search list). */
  get absolute(): boolean {
    return this.names[0]?.fqdn !== undefined;
  }
}
