import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { ROLLCALL_IMAGE } from '../../harness/manifests/images.js';

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
 * build stage's COPY sources and RUN steps in an empty directory (apt-get aside: this machine's packages
 * stand in), then only what the final stage copies from it, and rollcall run from that alone. What the
 * Dockerfile says is what is replayed, so the two cannot drift.
 */
describe('docker/Dockerfile, replayed without Docker', () => {
  const [build = [], tini = [], final = []] = stages(readFileSync(join(REPO, 'docker/Dockerfile'), 'utf8'));
  const work = mkdtempSync(join(tmpdir(), 'rollcall-image-'));
  const buildDir = join(work, 'src');
  const imageDir = join(work, 'image');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('the final stage runs the executable under tini as an unprivileged user, on a base without Node', () => {
    expect(build[0]?.args).toBe('--platform=$BUILDPLATFORM node:22-slim AS build');
    expect(tini.find((step) => step.keyword === 'RUN')?.args).toContain('apt-get install -y --no-install-recommends tini');
    expect(final[0]?.args).toBe('gcr.io/distroless/cc-debian12:nonroot');
    expect(final.filter((step) => step.keyword === 'COPY').map((step) => step.args)).toEqual(['--from=tini /usr/bin/tini-static /usr/bin/tini', '--from=build /src/out/ /']);
    expect(final.find((step) => step.keyword === 'USER')?.args).toBe('65532:65532');
    expect(JSON.parse(final.find((step) => step.keyword === 'ENTRYPOINT')?.args ?? 'null')).toEqual(['/usr/bin/tini', '--', '/opt/rollcall/rollcall-linux']);
  });

  test('the build stage builds from the copied sources alone, and the kept files run rollcall without Node', { timeout: 300_000 }, () => {
    mkdirSync(buildDir, { recursive: true });
    for (const step of build) {
      if (step.keyword === 'COPY') {
        const words = step.args.split(/\s+/);
        const destination = join(buildDir, words.at(-1) as string);
        for (const source of words.slice(0, -1)) cpSync(join(REPO, source), words.length > 2 ? join(destination, source) : destination, { recursive: true });
      }
      // The system packages (strip for both architectures) are this machine's own.
      if (step.keyword === 'RUN' && !step.args.startsWith('apt-get')) execFileSync('sh', ['-c', step.args], { cwd: buildDir, stdio: 'pipe', env: { ...process.env, TARGETARCH: 'amd64' } });
    }
    const kept = final.find((step) => step.keyword === 'COPY' && step.args.startsWith('--from=build '))?.args.split(' ')[1] ?? '';
    cpSync(join(buildDir, kept.replace(/^\/src\//, '')), imageDir, { recursive: true, verbatimSymlinks: true });
    // Only the executable, its launcher and the link on PATH: no Node, no sources, no node_modules.
    expect(readdirSync(imageDir, { recursive: true }).map(String).sort()).toEqual(['opt', 'opt/rollcall', 'opt/rollcall/rollcall', 'opt/rollcall/rollcall-linux', 'usr', 'usr/local', 'usr/local/bin', 'usr/local/bin/rollcall']);
    expect(readlinkSync(join(imageDir, 'usr/local/bin/rollcall'))).toBe('/opt/rollcall/rollcall-linux');
    // What the examples' checks take the image to hold (tini comes from its own stage).
    for (const file of ROLLCALL_IMAGE.files.filter((path) => path !== '/usr/bin/tini')) expect(existsSync(join(imageDir, file)) || lstatSync(join(imageDir, file)).isSymbolicLink(), file).toBe(true);
    expect(JSON.parse(final.find((step) => step.keyword === 'ENTRYPOINT')?.args ?? 'null')).toEqual(ROLLCALL_IMAGE.entrypoint);
    // Three local replicas exercise the executable, its listener, the embedded DNS server and the workload env.
    const run = spawnSync(join(imageDir, 'opt/rollcall/rollcall'), ['local', '-n', '3', '--', 'sh', '-c', 'echo "rank $RANK of $WORLD_SIZE"'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    for (let rank = 0; rank < 3; rank++) expect(run.stdout).toContain(`rank ${rank} of 3`);
  });
});
