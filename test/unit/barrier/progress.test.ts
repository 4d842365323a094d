import { Membership } from '../../../src/identity/membership.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { BarrierView, MissingLink } from '../../../src/barrier/role.js';
import { PeerNames } from '../../../src/barrier/peer-names.js';
import { ProgressReport } from '../../../src/barrier/progress.js';
import type { Progress } from '../../../src/barrier/options.js';
import { describeCount, type MissingReasonCode } from '../../../src/errors.js';
import { FakeClock } from '../../support/fake-clock.js';

const identity = { index: 1, membership: Membership.ofJob('job', 4), subdomain: 'svc', namespace: 'ns', clusterDomain: 'cluster.local', hostname: 'job-1', podIps: [] };
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

  test('a pod index 0 counted ready but this pod finds missing (index 0 itself, gone since) is not counted ready', () => {
    const { links, views, report, lines } = setUp();
    views.set('start', { ready: 3, missing: [[3, 'not-arrived']] });
    links.push({ index: 0, reason: 'connection-refused', detail: 'ECONNREFUSED' });
    expect(report.progress('start').ready).toBe(2);
    report.log('start');
    expect(lines).toEqual(['2/4 confirmed; waiting for job-0.svc (connection refused), job-3.svc (not arrived at coordinator)']);
  });

  test('the line never claims more confirmed than the pods it does not list as missing or unchecked', () => {
    const reasons: MissingReasonCode[] = ['not-arrived', 'still-checking', 'no-such-name'];
    const arbitrary = fc.record({
      viewMissing: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }),
      viewSlack: fc.nat({ max: 4 }),
      failing: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }),
      link: fc.boolean(),
      spoke: fc.boolean(),
    });
    fc.assert(
      fc.property(arbitrary, ({ viewMissing, viewSlack, failing, link, spoke }) => {
        const { checks, links, views, report } = setUp();
        // Index 0's view is whole in itself: its ready and its missing never add up to more than the group.
        if (spoke) views.set('start', { ready: Math.max(0, 4 - viewMissing.length - viewSlack), missing: viewMissing.map((index, i) => [index, reasons[i % 3] as MissingReasonCode]) });
        for (const index of failing) checks.push({ index, passed: false, reason: 'connection-refused', detail: undefined });
        checks.push(...[0, 1, 2, 3].filter((index) => !failing.includes(index)).map((index) => ({ index, passed: true, reason: 'not-checked' as const, detail: undefined })));
        if (link) links.push({ index: 0, reason: 'connection-refused', detail: undefined });
        const progress = report.progress('start');
        const line = describeCount(progress);
        const confirmed = Number(/^(\d+)\/4 confirmed/.exec(line)?.[1]);
        const listed = (line.match(/job-\d\.svc/g) ?? []).length;
        const unchecked = Number(/; (\d+) not checked/.exec(line)?.[1] ?? 0);
        expect(confirmed + listed + unchecked, line).toBe(4);
        expect(listed, line).toBe(progress.missing.length);
      }),
    );
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
