import { describe, expect, test } from 'vitest';
import { BarrierTally } from '../../../src/barrier/barrier-tally.js';
import { MeshNews } from '../../../src/barrier/mesh-news.js';
import { FakeClock } from '../../support/fake-clock.js';

const where = (here: number[], left: number[] = []) => ({ here: (index: number) => here.includes(index), left: (index: number) => left.includes(index), reasonFor: () => 'no-such-name' as const });

const all = (size: number) => ({ min: size, size });
const nobodyElse = () => false;

describe('BarrierTally', () => {
  test('full once the last arrives; a pod that left before the release no longer counts', () => {
    const tally = new BarrierTally('start', all(3));
    tally.arrive(0, []);
    tally.arrive(1, ['10.0.0.2']);
    expect(tally.readiness(nobodyElse)).toBe('short');
    tally.leave(1);
    tally.arrive(2, []);
    expect(tally.readiness(nobodyElse)).toBe('short');
    tally.arrive(1, ['10.0.0.2']);
    expect(tally.readiness(nobodyElse)).toBe('full');
    tally.open(tally.roster(), false);
    expect(tally.roster()).toEqual([[], ['10.0.0.2'], []]);
    expect(tally.members).toEqual([0, 1, 2]);
    // After the release, leaving changes nothing: it had arrived.
    tally.leave(1);
    expect(tally.arrived.has(1)).toBe(true);
    expect(tally.readiness(nobodyElse)).toBe('short');
  });

  test('all acked once every member confirmed; a replaced pod is awaited afresh, the same pod is not', { timeout: 1000 }, async () => {
    const tally = new BarrierTally('start', all(3));
    for (const index of [0, 1, 2]) tally.arrive(index, []);
    // An ack of a release not yet sent means nothing.
    tally.ack(1, 'gen-a');
    expect(tally.awaitingAcks).toBe(false);
    tally.open(undefined, false);
    expect(tally.hasAcked(1)).toBe(false);
    tally.ack(2, 'gen-b');
    expect(tally.awaitingAcks).toBe(true);
    tally.ack(1, 'gen-a');
    await tally.allAcked;
    expect(tally.awaitingAcks).toBe(false);
    tally.arriveLate(2, 'gen-b');
    expect(tally.hasAcked(2)).toBe(true);
    tally.arriveLate(2, 'gen-c');
    expect(tally.hasAcked(2)).toBe(false);
    expect(tally.awaitingAcks).toBe(true);
    let confirmed = false;
    void tally.allAcked.then(() => (confirmed = true));
    await Promise.resolve();
    expect(confirmed).toBe(false);
    tally.ack(2, 'gen-c');
    await tally.allAcked;
  });

  test('the start barrier lists the absent before those still checking; a named one lists everyone not at it', () => {
    const start = new BarrierTally('start', all(4));
    start.arrive(0, []);
    expect(start.view(where([1], [3]))).toEqual({ ready: 2, missing: [[2, 'no-such-name'], [3, 'left']] });
    expect(start.view(where([1, 2, 3]))).toEqual({ ready: 1, missing: [[1, 'still-checking'], [2, 'still-checking'], [3, 'still-checking']] });
    const named = new BarrierTally('ckpt', { members: [0, 1, 2, 3] });
    named.arrive(1, []);
    expect(named.view(where([2], [3]))).toEqual({ ready: 1, missing: [[3, 'left'], [0, 'not-at-barrier'], [2, 'not-at-barrier']] });
  });

  test('an elastic round: a quorum once MIN have arrived and nobody here is still on the way; it releases whoever arrived, and they alone ack', async () => {
    const tally = new BarrierTally('start', { min: 2, size: 4 });
    tally.arrive(1, []);
    // Index 0 itself is always here: without it there is no quorum.
    expect(tally.readiness(nobodyElse)).toBe('short');
    tally.arrive(0, []);
    expect(tally.readiness(nobodyElse)).toBe('quorum');
    // Index 2 has a session and is on its way: the round waits for it.
    expect(tally.readiness((index) => index === 2)).toBe('short');
    tally.arrive(2, []);
    expect(tally.readiness((index) => index === 2)).toBe('quorum');
    tally.arrive(3, []);
    expect(tally.readiness(nobodyElse)).toBe('full');
    tally.leave(3);
    tally.open(undefined, true);
    expect(tally.members).toEqual([0, 1, 2]);
    await expect(tally.release.promise).resolves.toEqual({ roster: undefined, members: [0, 1, 2] });
    tally.ack(3, 'late');
    expect(tally.awaitingAcks).toBe(true);
    tally.ack(1, 'a');
    tally.ack(2, 'b');
    expect(tally.awaitingAcks).toBe(false);
    await tally.allAcked;
  });

  test("a round's own barrier waits for its members only, and counts nobody else", () => {
    const tally = new BarrierTally('finish-1', { members: [0, 2, 3] });
    tally.arrive(1, []);
    tally.arrive(0, []);
    tally.arrive(2, []);
    expect(tally.readiness(() => true)).toBe('short');
    tally.arrive(3, []);
    expect(tally.readiness(() => true)).toBe('full');
    tally.open(undefined, true);
    expect(tally.members).toEqual([0, 2, 3]);
    expect(tally.view(where([])).ready).toBe(3);
  });
});

describe('MeshNews', () => {
  test('news goes out at once, then gathered per 50 ms window, in chunks; a late joiner hears of everyone before', () => {
    const clock = new FakeClock();
    const told: number[][] = [];
    const news = new MeshNews(clock, (indexes) => told.push(indexes));
    news.seen(1);
    clock.advance(0);
    expect(told).toEqual([[1]]);
    news.seen(2);
    news.seen(3);
    clock.advance(49);
    expect(told).toEqual([[1]]);
    clock.advance(1);
    expect(told).toEqual([[1], [2, 3]]);
    for (let index = 0; index < 300; index++) news.seen(index);
    clock.advance(50);
    expect(told.slice(2).map((chunk) => chunk.length)).toEqual([256, 44]);
    const sent: unknown[] = [];
    news.greet({ send: (frame: unknown) => sent.push(frame) } as never, Array.from({ length: 257 }, (_, index) => index));
    expect(sent).toEqual([{ t: 'seen', indexes: Array.from({ length: 256 }, (_, index) => index) }, { t: 'seen', indexes: [256] }]);
    news.close();
    expect(clock.pending).toBe(0);
  });
});
