import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { EXECUTABLE } from '../../harness/built.js';
import { describeWith } from '../../harness/requirements.js';
import { CLUSTER_NEEDS, describeReport, finishAll, useClusters } from './support.js';
import { releasedAt } from '../../harness/cluster/release-mark.js';

/**
 * A pod as the README's init-container recipe makes it: `rollcall install` into an emptyDir (here $0),
 * then the workload container, in an image without Node: every `node` on PATH is covered, in the pod's
 * own mount namespace, and the pod proves that Node cannot run before it starts the installed launcher.
 */
const POD = `
"$1" install "$0" > /dev/null || exit 90
exec unshare --mount sh -c '
  for dir in $(echo "$PATH" | tr ":" " "); do
    if [ -e "$dir/node" ]; then mount --bind /dev/null "$dir/node" || exit 91; fi
  done
  if node -e 0 2> /dev/null; then echo "node still runs"; exit 92; fi
  echo "node cannot run here"
  exec "$0/rollcall" -- sh -c "echo RELEASED \\$(date +%s%N); echo rank \\$RANK of \\$WORLD_SIZE"
' "$0"
`;

describeWith([...CLUSTER_NEEDS, 'executables'], 'the single executable on the simulated cluster, in pods without Node', () => {
  const createCluster = useClusters();
  const emptyDirs = mkdtempSync(join(tmpdir(), 'rollcall-emptydirs-'));
  afterAll(() => rmSync(emptyDirs, { recursive: true, force: true }));

  test('4 pods install it from an init container and release together; each workload gets its rank', async () => {
    const cluster = await createCluster();
    const pods = await Promise.all(
      [0, 1, 2, 3].map((index) =>
        cluster.startPod({
          job: 'example-job',
          index,
          command: ['sh', '-c', POD, mkdtempSync(join(emptyDirs, `pod${index}-`)), EXECUTABLE.x64],
          env: { ROLLCALL_COUNT: '4', ROLLCALL_TIMEOUT: '60s' },
        }),
      ),
    );
    for (const [index, report] of (await finishAll(pods)).entries()) {
      expect(report.exitCode, describeReport(report)).toBe(0);
      expect(report.stdout).toContain('node cannot run here');
      expect(report.stdout).toContain(`rank ${index} of 4`);
      expect(releasedAt(report), describeReport(report)).toBeDefined();
      expect(report.stderr).toContain(`4/4 ready; released as index ${index}`);
    }
  });
});
