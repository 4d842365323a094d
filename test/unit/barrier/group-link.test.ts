import { describe, expect, test } from 'vitest';
import { PeerFailedError, PeersTimeoutError, RollcallError } from '../../../src/errors.js';
import { linkError, unlinkError } from '../../../src/barrier/group-link.js';

describe("a barrier's failure crosses the wrapper's socket as the caller would have had it", () => {
  test('a timeout stays a PeersTimeoutError with its count and missing peers', () => {
    const missing = [{ index: 2, name: 'j-2.s', code: 'left' as const, reason: 'left the group' as const }];
    const original = new PeersTimeoutError(5000, { ready: 1, size: 3, missing }, 'checkpoint');
    const crossed = unlinkError(JSON.parse(JSON.stringify(linkError(original, 'checkpoint'))));
    expect(crossed).toBeInstanceOf(PeersTimeoutError);
    expect(crossed).toMatchObject({ message: original.message, arrived: 1, notChecked: 1, size: 3, missing, timeoutMs: 5000 });
  });

  test("a group's stop stays a PeerFailedError naming the failure and the next round", () => {
    const failure = { index: 1, name: 'j-1.s', how: 'exit' as const, exitCode: 3, signal: null, afterMs: 1200 };
    const crossed = unlinkError(JSON.parse(JSON.stringify(linkError(new PeerFailedError(failure, 0, 1), 'checkpoint'))));
    expect(crossed).toBeInstanceOf(PeerFailedError);
    expect(crossed).toMatchObject({ failure, round: 0, next: 1 });
    const last = unlinkError(linkError(new PeerFailedError(failure, 2, undefined), 'x'));
    expect((last as PeerFailedError).next).toBeUndefined();
  });

  test('anything else keeps its message, as a RollcallError of the wrapper', () => {
    const crossed = unlinkError(linkError(new TypeError('bad name'), 'x'));
    expect(crossed).toBeInstanceOf(RollcallError);
    expect(crossed).toMatchObject({ code: 'ERR_ROLLCALL_WRAPPER', message: 'bad name' });
  });
});
