import { expect, test } from 'vitest';
import { AbortFanout } from '../../../src/time/abort-fanout.js';

test('every child still held aborts with the parent, with its reason; a released one does not', () => {
  const parent = new AbortController();
  const fanout = new AbortFanout(parent.signal);
  const [held, released] = [fanout.child(), fanout.child()];
  fanout.release(released);
  const reason = new Error('deadline');
  parent.abort(reason);
  expect(held.signal.aborted).toBe(true);
  expect(held.signal.reason).toBe(reason);
  expect(released.signal.aborted).toBe(false);
});

test('a child made after the parent aborted is born aborted; a child aborts alone without touching the parent', () => {
  const parent = new AbortController();
  const fanout = new AbortFanout(parent.signal);
  const alone = fanout.child();
  alone.abort();
  expect(parent.signal.aborted).toBe(false);
  parent.abort('gone');
  expect(fanout.child().signal.reason).toBe('gone');
});

test('run releases its child however the work ends: a later abort of the parent reaches it no more', async () => {
  const parent = new AbortController();
  const fanout = new AbortFanout(parent.signal);
  const child = fanout.child();
  await expect(fanout.run(async () => Promise.reject(new Error('no')), child)).rejects.toThrowError('no');
  parent.abort();
  expect(child.signal.aborted).toBe(false);
});
