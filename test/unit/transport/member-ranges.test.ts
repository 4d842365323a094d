import { describe, expect, test } from 'vitest';
import { decodeMembers, encodeMembers } from '../../../src/transport/member-ranges.js';

describe("an elastic release's members as index ranges", () => {
  test('runs become ranges, lone indexes stay single, and they decode back', () => {
    for (const [indexes, text] of [
      [[0, 1, 2, 4], '0-2,4'],
      [[0], '0'],
      [[0, 2, 3, 4, 7, 9, 10], '0,2-4,7,9-10'],
      [Array.from({ length: 1000 }, (_, index) => index), '0-999'],
    ] as const) {
      expect(encodeMembers(indexes)).toBe(text);
      expect(decodeMembers(text)).toEqual(indexes);
    }
  });

  test('ranges that fall, overlap or repeat do not decode', () => {
    for (const text of ['3-1', '0-2,2', '4,1', '0-3,2-5', '', 'a']) expect(decodeMembers(text), text).toBeUndefined();
  });
});
