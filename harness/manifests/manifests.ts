import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Doc } from './schema.js';

export const REPO = join(import.meta.dirname, '../..');

/** One manifest as a reader meets it: an example file, or a YAML block in the README or docs. */
export interface Manifest {
  /** Where it is, for messages: `examples/job.yaml`, `README.md:36`. */
  source: string;
  docs: Doc[];
  /** The commands its header tells the reader to run (`kubectl create secret …`). */
  commands: string[];
  /** The Kubernetes version it claims (`# Kubernetes: 1.33 or later`), if it says. */
  claims: string | undefined;
  /** How it says it ends (`# Ends: Complete, every pod printing "rank {index} of 3".`), if it says. */
  ends: { status: string; printing: string } | undefined;
  /** An example file, which must claim a version; else a block in prose. */
  file: boolean;
  /** Whole objects (apiVersion and kind), not a fragment of one. */
  complete: boolean;
}

function parseDocs(text: string): Doc[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Doc | null)
    .filter((doc): doc is Doc => doc !== null);
}

function header(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    lines.push(line.replace(/^#\s?/, ''));
  }
  return lines;
}

export function loadExample(path: string): Manifest {
  const text = readFileSync(path, 'utf8');
  const lines = header(text);
  return {
    source: relative(REPO, path),
    docs: parseDocs(text),
    commands: lines.map((line) => line.trim()).filter((line) => line.startsWith('kubectl ')),
    claims: lines.map((line) => /^Kubernetes: (\d+\.\d+) or later/.exec(line.trim())?.[1]).find((version) => version !== undefined),
    ends: lines.map((line) => /^Ends: (\w+), every pod printing "(.*)"\.$/.exec(line.trim())).flatMap((match) => (match === null ? [] : [{ status: match[1] as string, printing: match[2] as string }]))[0],
    file: true,
    complete: true,
  };
}

/** Every example manifest: a new file in examples/ is picked up without editing a test. */
export function exampleFiles(): string[] {
  const dir = join(REPO, 'examples');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => join(dir, file));
}

/** Every ```yaml block of the README, docs/ and docker/README.md, with the commands of the sh block before it. */
export function proseBlocks(): Manifest[] {
  const pages = ['README.md', 'docker/README.md', ...readdirSync(join(REPO, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)];
  return pages.flatMap((page) => {
    const text = readFileSync(join(REPO, page), 'utf8');
    const blocks: Manifest[] = [];
    let commands: string[] = [];
    // A fence may say where its commands run after the language (```sh cluster, docs-commands.test.ts).
    for (const match of text.matchAll(/```(\w*)(?: \w+)?\n([\s\S]*?)```/g)) {
      const [, language, body = ''] = match;
      if (language === 'sh') commands = body.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('kubectl '));
      if (language !== 'yaml') continue;
      const line = text.slice(0, match.index).split('\n').length;
      const docs = parseDocs(body);
      blocks.push({ source: `${page}:${line}`, docs, commands, claims: undefined, ends: undefined, file: false, complete: docs.every((doc) => doc.apiVersion !== undefined && doc.kind !== undefined) });
    }
    return blocks;
  });
}
