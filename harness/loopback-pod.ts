/**
 * The env of index 0 of a group on 127.0.0.1, its names served by a DNS server on loopback (the CLI's
 * embedded one): how the CLI tests, the executable's tests and the start-up benchmark run rollcall as a pod.
 */
export function loopbackPodEnv(job: string, { dnsServer, port, count = 1 }: { dnsServer: string; port: number; count?: number }): Record<string, string> {
  return {
    ROLLCALL_INDEX: '0',
    ROLLCALL_COUNT: String(count),
    ROLLCALL_JOB_NAME: job,
    ROLLCALL_SUBDOMAIN: 'svc',
    ROLLCALL_NAMESPACE: 'ns',
    ROLLCALL_CLUSTER_DOMAIN: 'cluster.local',
    ROLLCALL_DNS_SERVERS: dnsServer,
    ROLLCALL_LISTEN_HOST: '127.0.0.1',
    ROLLCALL_PORT: String(port),
    ROLLCALL_IP_FAMILY: 'ipv4',
  };
}
