import { ConfigError, type MissingPeer } from '../errors.js';
import type { Logger } from './logger.js';

/** How long a pod's own name may fail to resolve, while waiting, before the hint is logged. */
const WHILE_WAITING_MS = 20_000;

/**
 * A pod whose own name never resolves is most often waiting in an init container behind a Service
 * without publishNotReadyAddresses: the pod is not Ready until the init container ends, so its record is
 * never published, so the wait can only time out. Say so once: after 20 s of it, or at the timeout if that
 * comes first.
 */
export class InitContainerHint {
  private since: number | undefined;
  private given = false;

  constructor(
    private readonly selfIndex: number,
    private readonly logger: Logger,
  ) {}

  progress(missing: readonly MissingPeer[]): void {
    this.since = this.selfUnresolved(missing) ? (this.since ?? Date.now()) : undefined;
    if (this.since !== undefined && Date.now() - this.since >= WHILE_WAITING_MS) this.give();
  }

  timedOut(missing: readonly MissingPeer[]): void {
    if (this.selfUnresolved(missing)) this.give();
  }

  private selfUnresolved(missing: readonly MissingPeer[]): boolean {
    return missing.some((peer) => peer.index === this.selfIndex && peer.code === 'no-such-name');
  }

  private give(): void {
    if (this.given) return;
    this.given = true;
    this.logger.line(
      "this pod's own name does not resolve. If rollcall runs in an init container, the pod is not Ready yet and its record is not published: set publishNotReadyAddresses: true on the headless Service.",
      { event: 'hint' },
      'warn',
    );
  }
}

/**
 * A setting that a pod of an Indexed Job would have given is missing, and this is no Kubernetes pod (every
 * container gets KUBERNETES_SERVICE_HOST): someone trying rollcall on their own machine, who needs
 * `rollcall local` rather than the next variable to set.
 */
export function outsideKubernetesHint(error: unknown, env: NodeJS.ProcessEnv): string | undefined {
  if (!(error instanceof ConfigError) || error.value !== undefined || (env.KUBERNETES_SERVICE_HOST ?? '') !== '') return undefined;
  return 'this is not a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set), where such settings come from: "rollcall local -n 3 -- <command>" runs a group of 3 on this machine.';
}
