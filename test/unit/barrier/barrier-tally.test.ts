import { describe, expect, test } from 'vitest';
import { BarrierTally } from '../../../src/barrier/barrier-tally.js';
import { MeshNews } from '../../../src/barrier/mesh-news.js';
import { FakeClock } from '../../support/fake-clock.js';

const where = (here: number[], left: number[] = []) => ({ here: (index: number) => here.includes(index), left: (index: number) => left.includes(index), reasonFor: () => 'no-such-name' as const });

describe('BarrierTally', () => {
  test('the last arrival is the one that completes it; a pod that left before the release no longer counts', () => {
    const tally = new BarrierTally('start', 3);
    expect(tally.arrive(0, [])).toBe(false);
    expect(tally.arrive(1, ['10.0.0.2'])).toBe(false);
    tally.leave(1);
    expect(tally.arrive(2, [])).toBe(false);
    expect(tally.arrive(1, ['10.0.0.2'])).toBe(true);
    tally.open(tally.roster());
    expect(tally.roster()).toEqual([[], ['10.0.0.2'], []]);
    // After the release, leaving changes nothing: it had arrived.
    tally.leave(1);
    expect(tally.arrived.has(1)).toBe(true);
    expect(tally.arrive(1, [])).toBe(false);
  });

  test('all acked once every member confirmed; a replaced pod is awaited afresh, the same pod is not', { timeout: 1000 }, async () => {
    const tally = new BarrierTally('start', 3);
    for (const index of [0, 1, 2]) tally.arrive(index, []);
    // An ack of a release not yet sent means nothing.
    tally.ack(1, 'gen-a');
    expect(tally.awaitingAcks).toBe(false);
    tally.open(undefined);
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
    const start = new BarrierTally('start', 4);
    start.arrive(0, []);
    expect(start.view(where([1], [3]))).toEqual({ ready: 2, missing: [[2, 'no-such-name'], [3, 'left']] });
    expect(start.view(where([1, 2, 3]))).toEqual({ ready: 1, missing: [[1, 'still-checking'], [2, 'still-checking'], [3, 'still-checking']] });
    const named = new BarrierTally('ckpt', 4);
    named.arrive(1, []);
    expect(named.view(where([2], [3]))).toEqual({ ready: 1, missing: [[3, 'left'], [0, 'not-at-barrier'], [2, 'not-at-barrier']] });
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
