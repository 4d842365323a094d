import { DEFAULTS } from '../barrier/options.js';
import { SettingSource, parseDuration } from '../settings.js';

/** What remote launch reads from the pod's settings: the serving rollcall and the agent alike. */
export interface LaunchSettings {
  /** Launches run only between pods that prove ROLLCALL_SECRET. */
  secretSet: boolean;
  /** A launch silent this long is lost (ROLLCALL_SESSION_TIMEOUT). */
  sessionTimeoutMs: number;
}

export function launchSettings(env: NodeJS.ProcessEnv): LaunchSettings {
  const settings = new SettingSource(env);
  const timeout = settings.get('ROLLCALL_SESSION_TIMEOUT');
  return {
    secretSet: settings.get('ROLLCALL_SECRET') !== undefined,
    sessionTimeoutMs: timeout === undefined ? DEFAULTS.sessionTimeoutMs : parseDuration(timeout.variable, timeout.value),
  };
}
