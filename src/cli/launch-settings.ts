import { DEFAULTS } from '../barrier/options.js';
import { SettingSource, parseDuration } from '../settings.js';

/** SIGTERM to SIGKILL when the group stops a workload: well inside Kubernetes' default 30 s termination grace. */
const DEFAULT_GRACE_MS = 10_000;

/** What remote launch reads from the pod's settings: the serving rollcall and the agent alike. */
export interface LaunchSettings {
  /** Launches run only between pods that prove ROLLCALL_SECRET. */
  secretSet: boolean;
  /** A launch silent this long is lost (ROLLCALL_SESSION_TIMEOUT). */
  sessionTimeoutMs: number;
  /** How long a command that is to end gets to do so on its own (ROLLCALL_GRACE). */
  graceMs: number;
}

export function launchSettings(env: NodeJS.ProcessEnv): LaunchSettings {
  const settings = new SettingSource(env);
  const timeout = settings.get('ROLLCALL_SESSION_TIMEOUT');
  return {
    secretSet: settings.get('ROLLCALL_SECRET') !== undefined,
    sessionTimeoutMs: timeout === undefined ? DEFAULTS.sessionTimeoutMs : parseDuration(timeout.variable, timeout.value),
    graceMs: graceSetting(settings),
  };
}

/** ROLLCALL_GRACE: SIGTERM to SIGKILL for a workload the group stops, and for a launched command. */
export function graceSetting(settings: SettingSource): number {
  const grace = settings.get('ROLLCALL_GRACE');
  return grace === undefined ? DEFAULT_GRACE_MS : parseDuration(grace.variable, grace.value, { zero: true });
}
