import { describe, expect, test } from 'vitest';
import type { BarrierView, MissingLink } from '../../../src/barrier/role.js';
import { PeerNames } from '../../../src/barrier/peer-names.js';
import { ProgressReport } from '../../../src/barrier/progress.js';
import type { Progress } from '../../../src/barrier/options.js';
import type { MissingReasonCode } from '../../../src/errors.js';
import { FakeClock } from '../../support/fake-clock.js';

const identity = { index: 1, count: 4, jobName: 'job', subdomain: 'svc', namespace: 'ns', clusterDomain: 'cluster.local', hostname: 'job-1', podIps: [] };
type Check = { index: number; passed: boolean; reason: MissingReasonCode; detail: string | undefined };

function setUp() {
  const clock = new FakeClock();
  const lines: string[] = [];
  const reported: Progress[] = [];
  const checks: Check[] = [];
  const links: MissingLink[] = [];
  const views = new Map<string, BarrierView>();
  const report = new ProgressReport({
    size: 4,
    names: new PeerNames(identity),
    checks: { own: () => checks as never },
    role: { missingLinks: () => links, view: (barrier) => views.get(barrier) },
    clock,
    log: (line) => lines.push(line),
    logIntervalMs: 5000,
    reportIntervalMs: 500,
    onProgress: (progress) => reported.push(progress),
  });
  return { clock, lines, reported, checks, links, views, report };
}

describe('ProgressReport', () => {
  test("before index 0 has spoken: this pod's own checks, its missing link to index 0, the rest not checked", () => {
    const { checks, links, report } = setUp();
    checks.push({ index: 1, passed: true, reason: 'not-checked', detail: undefined });
    links.push({ index: 0, reason: 'connection-refused', detail: 'ECONNREFUSED' });
    expect(report.progress('start')).toEqual({ barrier: 'start', ready: 1, size: 4, missing: [{ index: 0, name: 'job-0.svc', code: 'connection-refused', reason: 'connection refused', detail: 'ECONNREFUSED' }] });
  });

  test("once index 0 has spoken, its count is the authority; a failing check of this pod's adds its reason first", () => {
    const { checks, views, report } = setUp();
    checks.push({ index: 1, passed: true, reason: 'not-checked', detail: undefined }, { index: 3, passed: false, reason: 'no-such-name', detail: 'NXDOMAIN' });
    views.set('start', { ready: 2, missing: [[2, 'still-checking'], [3, 'not-arrived']] });
    const progress = report.progress('start');
    expect(progress.ready).toBe(2);
    expect(progress.missing.map((peer) => [peer.index, peer.code])).toEqual([[2, 'still-checking'], [3, 'no-such-name']]);
  });

  test('a named barrier counts only what index 0 says', () => {
    const { checks, views, report } = setUp();
    checks.push({ index: 3, passed: false, reason: 'no-such-name', detail: undefined });
    expect(report.progress('checkpoint')).toEqual({ barrier: 'checkpoint', ready: 0, size: 4, missing: [] });
    views.set('checkpoint', { ready: 3, missing: [[0, 'not-at-barrier']] });
    expect(report.progress('checkpoint').missing).toMatchObject([{ index: 0, code: 'not-at-barrier' }]);
  });

  test('watch logs every interval and reports each change once; cancelling stops both', () => {
    const { clock, lines, reported, checks, report } = setUp();
    const stop = report.watch('start');
    clock.advance(499);
    expect(reported).toHaveLength(0);
    clock.advance(1);
    expect(reported).toHaveLength(1);
    clock.advance(1000);
    expect(reported).toHaveLength(1);
    checks.push({ index: 1, passed: true, reason: 'not-checked', detail: undefined });
    clock.advance(500);
    expect(reported.map((progress) => progress.ready)).toEqual([0, 1]);
    expect(lines).toEqual([]);
    clock.advance(3000);
    expect(lines).toEqual(['1/4 confirmed; 3 not checked by this pod (index 0 checks them)']);
    stop();
    clock.advance(60_000);
    expect(lines).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  test('a named barrier is watched by its log line alone, which names it', () => {
    const { clock, lines, reported, views, report } = setUp();
    views.set('ckpt', { ready: 3, missing: [[2, 'not-at-barrier']] });
    const stop = report.watch('ckpt', { report: false });
    clock.advance(5000);
    expect(lines).toEqual(['ckpt: 3/4 confirmed; waiting for job-2.svc (not at this barrier yet)']);
    expect(reported).toEqual([]);
    stop();
  });
});
