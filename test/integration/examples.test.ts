import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { Cluster } from '../../harness/cluster/cluster.js';
import { imageFacts } from '../../harness/manifests/images.js';
import { assembleRollcallImage } from '../../harness/manifests/kubelet.js';
import { exampleFiles, loadExample, type Manifest } from '../../harness/manifests/manifests.js';
import { runManifest } from '../../harness/manifests/runner.js';
import { describeWith } from '../../harness/requirements.js';
import { CLUSTER_NEEDS, assertBuilt, describeReport } from './support.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every image a manifest's pods run, as the runner stands it in. */
function standIns(manifest: Manifest): string {
  const images = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      const record = value as Any;
      if (typeof record.image === 'string' && typeof record.name === 'string') images.add(record.image);
      if (typeof record.image?.reference === 'string') images.add(record.image.reference);
      Object.values(record).forEach(visit);
    }
  };
  visit(manifest.docs);
  return [...images].map((image) => `${image}: ${imageFacts(image)?.standIn ?? 'not described'}`).join('; ');
}

/** The examples that run something: a NetworkPolicy on its own is checked against the schema only. */
const examples = exampleFiles()
  .map(loadExample)
  .filter((manifest) => manifest.docs.some((doc) => ['Job', 'JobSet', 'LeaderWorkerSet'].includes(String(doc.kind))));

/**
 * Each example run from its file, on the simulated cluster, as the kubelet would run it; it must end as
 * its header says. Which parts stand in for what (no images can be pulled here) is in each test's name.
 */
describeWith([...CLUSTER_NEEDS, 'torch', 'executables', 'tini'], 'examples run as written', () => {
  const work = mkdtempSync(join(tmpdir(), 'rollcall-examples-'));
  const clusters: Cluster[] = [];
  let imageRoot = '';
  beforeAll(() => {
    assertBuilt();
    imageRoot = assembleRollcallImage(join(work, 'rollcall-image'));
  });
  afterEach(async () => {
    await Promise.all(clusters.splice(0).map((cluster) => cluster.destroy()));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test.each(examples.map((manifest) => [basename(manifest.source), standIns(manifest), manifest] as const))('%s ends as it says (stand-ins: %s)', { timeout: 240_000 }, async (file, _, manifest) => {
    expect(manifest.ends, `${file} says how it ends ("# Ends: Complete, every pod printing \\"…\\".")`).toBeDefined();
    const runs = await runManifest(manifest, { work: mkdtempSync(join(work, `${file}-`)), imageRoot, timeoutMs: 180_000, onCluster: (cluster) => clusters.push(cluster) });
    for (const run of runs) {
      const details = run.pods.map(describeReport).join('\n');
      expect(run.status, `${run.job}: ${run.why}\n${details}`).toBe(manifest.ends?.status);
      for (const pod of run.pods) expect(pod.stdout, describeReport(pod)).toContain(manifest.ends?.printing.replaceAll('{index}', String(pod.index)));
    }
  });
});
