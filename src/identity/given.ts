import { ConfigError } from '../errors.js';
import { parseInteger, type SettingSource } from '../settings.js';

/** A setting the user or Kubernetes gave: the option's or the variable's name, and its value. */
export interface Given {
  name: string;
  value: string;
}

/** A value given: the option, else its variable (environment, then env file). */
export function explicit(option: string | number | undefined, name: string, settings: SettingSource, variable: string): Given | undefined {
  if (option !== undefined) return { name, value: String(option) };
  const found = settings.get(variable);
  return found === undefined ? undefined : { name: found.variable, value: found.value };
}

/** A value given explicitly must match what the pod itself says, where it says anything. */
export function agree(given: Given | undefined, own: string | undefined, ownSource: string, normalise = (value: string) => value): void {
  if (given === undefined || own === undefined || normalise(given.value) === normalise(own)) return;
  throw new ConfigError(given.name, given.value, `disagrees with ${ownSource}, which says "${own}"`, `Unset ${given.name} (rollcall reads the pod's own), or make the pod and ${given.name} agree.`);
}

/** A number given beside what the pod's own names say must be that number. */
export function agreeNumber(given: Given | undefined, own: number, why: string, hint: string): void {
  if (given !== undefined && parseInteger(given.name, given.value, { min: 0 }) !== own) throw new ConfigError(given.name, given.value, why, hint);
}

/**
 * The group's size or this pod's index: the option when given, else the first of `variables` that is set,
 * held to one rule either way. Missing altogether, it is an error that says how to fix it.
 */
export function groupInteger(
  settings: SettingSource,
  { option, name, variables, min }: { option: number | undefined; name: string; variables: [string, ...string[]]; min: number },
  problem: string,
  hint: string,
): number {
  if (option !== undefined) return parseInteger(name, String(option), { min });
  const found = settings.get(...variables);
  if (found === undefined) throw new ConfigError(variables[0], undefined, problem, hint);
  return parseInteger(found.variable, found.value, { min });
}
