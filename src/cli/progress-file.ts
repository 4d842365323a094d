import { statSync, writeFileSync } from 'node:fs';
import { systemClock, type Clock } from '../time/clock.js';

/** How often the file's time is looked at: four stats a second, by rollcall; the workload pays only its touch. */
const LOOK_EVERY_MS = 250;

/** Where the workload reports progress, in any language: touching it is all (`touch "$ROLLCALL_PROGRESS_FILE"`). */
export const PROGRESS_FILE_VARIABLE = 'ROLLCALL_PROGRESS_FILE';

/**
 * Watches the progress file for as long as a round's workload runs: each new modification time is a
 * report of progress.
 */
export function watchProgressFile(path: string, onProgress: () => void, clock: Clock = systemClock): () => void {
  writeFileSync(path, '');
  let seen = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  return clock.every(LOOK_EVERY_MS, () => {
    const now = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
    if (now === undefined || now === seen) return;
    seen = now;
    onProgress();
  });
}
