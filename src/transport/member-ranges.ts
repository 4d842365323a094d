/**
 * An elastic group's members as a release carries them: ascending indexes as ranges (`0-3,5,7-9`), a few
 * bytes when few are missing, whatever the group's size.
 */
export const MEMBER_RANGES = /^\d{1,6}(-\d{1,6})?(,\d{1,6}(-\d{1,6})?)*$/;

export function encodeMembers(indexes: readonly number[]): string {
  const ranges: string[] = [];
  let at = 0;
  while (at < indexes.length) {
    const first = indexes[at] as number;
    let last = first;
    while (indexes[at + 1] === last + 1) last = indexes[++at] as number;
    ranges.push(first === last ? String(first) : `${first}-${last}`);
    at++;
  }
  return ranges.join(',');
}

/** The indexes, or undefined unless the ranges ascend without overlap (what `encodeMembers` writes). */
export function decodeMembers(text: string): number[] | undefined {
  if (!MEMBER_RANGES.test(text)) return undefined;
  const indexes: number[] = [];
  for (const range of text.split(',')) {
    const [first, last = first] = range.split('-').map(Number) as [number, number?];
    if (last < first || (indexes.length > 0 && first <= (indexes.at(-1) as number))) return undefined;
    for (let index = first; index <= last; index++) indexes.push(index);
  }
  return indexes;
}
