import type { Identity } from '../identity/identity.js';
import { fqdn, shortName } from '../identity/names.js';

/** Every pod's names, by index: the short one people read, and the FQDN asked of the DNS when known. */
export class PeerNames {
  private readonly names: { short: string; fqdn: string | undefined }[];

  constructor(identity: Identity) {
    const { membership, subdomain, namespace, clusterDomain } = identity;
    this.names = Array.from({ length: membership.size }, (_, index) => {
      const hostname = membership.hostname(index);
      return { short: shortName(hostname, subdomain), fqdn: namespace === undefined || clusterDomain === undefined ? undefined : fqdn(hostname, subdomain, namespace, clusterDomain) };
    });
  }

  /** `<hostname>.<subdomain>`: what logs, errors and the workload's env say. */
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
