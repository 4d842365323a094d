import type { MissingPeer } from '../errors.js';
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
