import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's stages, each a list of instructions with continuation lines joined and comments dropped. */
function stages(dockerfile: string): Instruction[][] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const result: Instruction[][] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    if (keyword === 'FROM') result.push([]);
    result.at(-1)?.push({ keyword, args: rest.join(' ') });
  }
  return result;
}

/**
 * There is no Docker engine here, so the image is checked by replaying its build outside Docker: the
 * build stage's COPY sources and npm steps in an empty directory, then only what the final stage copies,
 * and rollcall run from that alone. What the Dockerfile says is what is replayed, so the two cannot drift.
 */
describe('docker/Dockerfile, replayed without Docker', () => {
  const [build = [], final = []] = stages(readFileSync(join(REPO, 'docker/Dockerfile'), 'utf8'));
  const work = mkdtempSync(join(tmpdir(), 'rollcall-image-'));
  const buildDir = join(work, 'src');
  const imageDir = join(work, 'opt');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('the final stage runs rollcall under tini as an unprivileged user, from a Node 22 image', () => {
    expect(build[0]?.args).toMatch(/^node:22-slim AS build$/);
    expect(final[0]?.args).toBe('node:22-slim');
    expect(final.find((step) => step.keyword === 'USER')?.args).toBe('node');
    expect(JSON.parse(final.find((step) => step.keyword === 'ENTRYPOINT')?.args ?? 'null')).toEqual(['tini', '--', 'rollcall']);
  });

  test('the build stage builds from the copied sources alone, and the kept files run rollcall', { timeout: 300_000 }, () => {
    for (const step of build) {
      if (step.keyword === 'COPY') {
        const words = step.args.split(/\s+/);
        const destination = join(buildDir, words.at(-1) as string);
        for (const source of words.slice(0, -1)) cpSync(join(REPO, source), words.length > 2 ? join(destination, source) : destination, { recursive: true });
      }
      // The system toolchain (for net-ping's native part) is this machine's own.
      if (step.keyword === 'RUN' && !step.args.startsWith('apt-get')) execFileSync('sh', ['-c', step.args], { cwd: buildDir, stdio: 'pipe' });
    }
    for (const step of final) {
      const copied = /^--from=build \/src\/(\S+) (\S+)$/.exec(step.args);
      if (step.keyword === 'COPY' && copied !== null) {
        const [, source = '', destination = ''] = copied;
        cpSync(join(buildDir, source), destination === './' ? join(imageDir, source) : join(imageDir, destination), { recursive: true });
      }
    }
    // Only production files: no sources, no test or build tooling.
    expect(existsSync(join(imageDir, 'src'))).toBe(false);
    for (const devOnly of ['vitest', 'typescript', 'esbuild']) expect(existsSync(join(imageDir, 'node_modules', devOnly)), devOnly).toBe(false);
    // Three local replicas exercise the bundle, its listener, the embedded DNS server and the workload env.
    const run = spawnSync(process.execPath, [join(imageDir, 'dist/rollcall.mjs'), 'local', '-n', '3', '--', 'sh', '-c', 'echo "rank $RANK of $WORLD_SIZE"'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    for (let rank = 0; rank < 3; rank++) expect(run.stdout).toContain(`rank ${rank} of 3`);
  });
});
