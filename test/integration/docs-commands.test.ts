import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeWith } from '../../harness/requirements.js';
import { runProcess } from '../support/process.js';

const REPO = join(import.meta.dirname, '../..');
const PAGES = ['README.md', 'docker/README.md', ...readdirSync(join(REPO, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)];

/**
 * Where a shell block runs, from its fence (```sh, ```sh cluster, ```sh pod): `here`, from the root of a
 * clone, on a Linux machine with Node; `cluster`, against a cluster or a registry (kubectl, docker); `pod`,
 * inside a pod of the recipe it sits beside.
 */
type Place = 'here' | 'cluster' | 'pod';

interface ShellBlock {
  page: string;
  place: Place | string;
  text: string;
}

function shellBlocks(): ShellBlock[] {
  return PAGES.flatMap((page) =>
    [...readFileSync(join(REPO, page), 'utf8').matchAll(/^```(sh|bash)(?: (\w+))?\n([\s\S]*?)^```$/gm)].map((match) => ({ page, place: match[2] ?? 'here', text: match[3] as string })),
  );
}

/** The command word `rollcall` alone: no recipe puts it on PATH (an init container installs it to /rollcall/rollcall). */
const BARE_ROLLCALL = /(^|&&|\|\||;|\||\$\(|\bexec\s+\S+\s+--)\s*rollcall\b/m;

describe('the shell blocks of the README and docs', () => {
  const blocks = shellBlocks();

  test('each says where it runs: here, on a cluster, or in a pod', () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks) expect(['here', 'cluster', 'pod'], `${block.page}: \`\`\`sh ${block.place}`).toContain(block.place);
  });

  test('what runs in a pod, or through kubectl exec, names rollcall by the path its recipe installs it to', () => {
    for (const block of blocks.filter((candidate) => candidate.place !== 'here')) {
      const commands = block.text.split('\n').map((line) => line.replace(/\s+#.*$/, ''));
      for (const command of commands) expect(command, `${block.page}: "${command}" runs a rollcall that is not on PATH`).not.toMatch(BARE_ROLLCALL);
    }
    // Prose too: a `kubectl exec … -- rollcall` in backticks would be copied as it stands.
    const bare = PAGES.flatMap((page) => [...readFileSync(join(REPO, page), 'utf8').replace(/\n/g, ' ').matchAll(/kubectl exec \S+ --\s+rollcall\b.{0,30}/g)].map((match) => `${page}: ${match[0]}`));
    expect(bare).toEqual([]);
  });
});

/** Every file git tracks, copied as a fresh clone would have them. */
function cloneInto(target: string): void {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(REPO, file), join(target, file));
  }
}

/**
 * The blocks that run here, run as written, in order, in a copy of the repository as a clone would be
 * (beside it, the "your-project" the README's install block goes to). npm takes what it can from its
 * cache. `npm test` is this suite: it is not run from inside itself.
 */
describeWith(['openmpi'], 'the shell blocks that run on this machine, run as written', () => {
  const work = mkdtempSync(join(tmpdir(), 'rollcall-docs-'));
  const clone = join(work, 'rollcall');
  const results = new Map<string, { code: number | null; stdout: string; stderr: string }>();

  beforeAll(async () => {
    cloneInto(clone);
    mkdirSync(join(work, 'your-project'));
    writeFileSync(join(work, 'your-project/package.json'), JSON.stringify({ name: 'your-project', version: '1.0.0', private: true, type: 'module' }));
    const here = shellBlocks().filter((block) => block.place === 'here' && ['README.md', 'docs/mpi.md'].includes(block.page));
    for (const block of here) {
      const script = block.text
        .split('\n')
        .filter((line) => !/^npm test\b/.test(line))
        .join('\n');
      const run = await runProcess(['bash', '-euo', 'pipefail', '-c', script], { HOME: process.env.HOME ?? '/root', npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' }, { cwd: clone, timeoutMs: 300_000 });
      results.set(`${block.page}: ${block.text.split('\n')[0]}`, run);
    }
  }, 600_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const result = (page: string, start: string) => {
    const found = [...results.entries()].find(([key]) => key.startsWith(`${page}: ${start}`));
    expect(found, `a block of ${page} starting "${start}"`).toBeDefined();
    const [, run] = found as [string, { code: number | null; stdout: string; stderr: string }];
    expect(run.code, `${run.stdout.slice(-2000)}\n${run.stderr.slice(-3000)}`).toBe(0);
    return run;
  };

  test("the README's first block: install, then the local demo", () => {
    const run = result('README.md', 'npm ci && npm start');
    for (let index = 0; index < 3; index++) expect(run.stdout).toContain(`Successfully pinged pod: example-job-${index}.headless-svc`);
  });

  test("the README's package block: packed in the clone, installed into the project beside it", () => {
    result('README.md', 'npm ci && npm run build && npm pack');
    const installed = JSON.parse(readFileSync(join(work, 'your-project/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(installed.dependencies?.rollcall).toMatch(/rollcall-0\.1\.0\.tgz$/);
  });

  test('docs/mpi.md, "Try MPI locally": six ranks, two in each replica, started through rollcall exec', () => {
    const run = result('docs/mpi.md', 'export OMPI_ALLOW_RUN_AS_ROOT');
    for (let rank = 0; rank < 6; rank++) expect(run.stdout).toMatch(new RegExp(`^\\[local-job-0\\] rank ${rank} of 6 in replica ${Math.floor(rank / 2)}$`, 'm'));
    expect(run.stderr).toMatch(/\[local-job-2\] rollcall: launch from local-job-0\.local-svc: orted/);
  });
});
