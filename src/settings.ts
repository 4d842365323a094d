import { readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { ConfigError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where settings come from, highest first: an explicit option, the process environment, then the
 * env file named by ROLLCALL_ENV_FILE (a mounted ConfigMap, say). Auto-detection is the caller's
 * last resort, so the same lookup order holds for every value.
 */
export class SettingSource {
  readonly env: Env;
  private readonly fileValues: Env;

  constructor(env: Env, envFile?: string) {
    this.env = env;
    const path = envFile ?? nonEmpty(env.ROLLCALL_ENV_FILE);
    this.fileValues = path === undefined ? {} : readEnvFile(path);
  }

  /** The first non-empty value among the variables, in the environment first, then in the env file. */
  get(...variables: string[]): { variable: string; value: string } | undefined {
    for (const values of [this.env, this.fileValues]) {
      for (const variable of variables) {
        const value = nonEmpty(values[variable]);
        if (value !== undefined) return { variable, value };
      }
    }
    return undefined;
  }
}

function readEnvFile(path: string): Env {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError('ROLLCALL_ENV_FILE', path, `cannot be read (${reason})`, 'Point it at a readable dotenv file, or unset it.', { cause: error });
  }
  // parse() never logs and never touches process.env: the file only fills gaps, it overrides nothing.
  return parse(text);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

const INTEGER = /^\d+$/;

export function parseInteger(variable: string, raw: string, { min, max = Number.MAX_SAFE_INTEGER }: { min: number; max?: number }): number {
  const value = Number(raw);
  if (!INTEGER.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new ConfigError(variable, raw, `is not ${range}`, `Set ${variable} to ${range}.`);
  }
  return value;
}

/** One of a fixed set of words; the fix lists them all, the default marked. */
export function parseChoice<T extends string>(variable: string, raw: string, allowed: readonly T[], { noun, fallback }: { noun: string; fallback?: T }): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  const words = allowed.map((word) => `"${word}"${word === fallback ? ' (default)' : ''}`);
  throw new ConfigError(variable, raw, `is not ${noun}`, `Use ${words.slice(0, -1).join(', ')} or ${words.at(-1)}.`);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `300` (seconds, as timeout(1) reads it), `1500ms`, `90s`, `5m`, `1h`; `0` only where it means "off". */
export function parseDuration(variable: string, raw: string, { zero = false }: { zero?: boolean } = {}): number {
  const match = DURATION.exec(raw.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS];
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && !zero)) {
    const noun = zero ? 'a duration' : 'a positive duration';
    throw new ConfigError(variable, raw, `is not ${noun}`, `Write seconds ("300") or a number with a unit: "1500ms", "90s", "5m", "1h"${zero ? '; "0" turns it off' : ''}.`);
  }
  return Math.round(ms);
}

/** A comma-separated list of exit codes, each 1 to 255 (0 is success and cannot be fatal). */
export function parseExitCodes(variable: string, raw: string): number[] {
  const entries = raw.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !/^\d{1,3}$/.test(entry) || Number(entry) < 1 || Number(entry) > 255);
  if (bad.length > 0) {
    throw new ConfigError(variable, raw, `has entries that are not exit codes from 1 to 255: ${bad.map((entry) => JSON.stringify(entry)).join(', ')}`, `List exit codes separated by commas, e.g. "78" or "78,79".`);
  }
  return entries.map(Number);
}
