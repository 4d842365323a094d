// Small SVG charts written by the benchmarks themselves: release lag per contender, and the soak.
import type { LagResult } from './release-lag.js';
import type { FaultKind, SoakResult } from './soak.js';

const COLORS: Record<string, string> = { 'rollcall mesh': '#2b7bb9', 'rollcall star': '#52a552', 'ping loop': '#c0504d' };

export function releaseLagChart(results: LagResult[], machine: string): string {
  const rowHeight = 22;
  const labelWidth = 470;
  const width = 1000;
  const plotWidth = width - labelWidth - 90;
  const maxMs = Math.max(1, ...results.flatMap((result) => (Number.isFinite(result.maxMs) ? [result.maxMs] : [])));
  // Logarithmic from 10 ms: 200 ms and 30 s on one chart, both readable.
  const floorMs = 10;
  const scale = (ms: number) => (Math.log10(Math.max(floorMs, ms) / floorMs) / Math.log10(Math.max(maxMs, floorMs * 10) / floorMs)) * plotWidth;
  const rows = results.flatMap((result, position) => {
    const y = 40 + position * (rowHeight * 2 + 8);
    const color = COLORS[result.contender] ?? '#888';
    const label = `${result.setting}: ${result.contender}, N=${result.n}${result.stranded > 0 ? ` (${result.stranded} stranded)` : ''}`;
    return [
      `<text x="${labelWidth - 8}" y="${y + rowHeight - 6}" text-anchor="end">${label}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${scale(result.medianMs).toFixed(1)}" height="${rowHeight - 4}" fill="${color}"/>`,
      `<text x="${labelWidth + scale(result.medianMs) + 6}" y="${y + rowHeight - 8}">median ${result.medianMs.toFixed(0)} ms</text>`,
      `<rect x="${labelWidth}" y="${y + rowHeight}" width="${scale(result.maxMs).toFixed(1)}" height="${rowHeight - 4}" fill="${color}" fill-opacity="0.45"/>`,
      `<text x="${labelWidth + scale(result.maxMs) + 6}" y="${y + 2 * rowHeight - 8}">max ${Number.isFinite(result.maxMs) ? result.maxMs.toFixed(0) : '–'} ms</text>`,
    ];
  });
  const height = 60 + results.length * (rowHeight * 2 + 8);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Release lag after the last pod's DNS record appeared (log scale from 10 ms; lower is better)</text>`,
    ...rows,
    `<text x="10" y="${height - 10}" fill="#555">${machine}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

const FAULT_COLORS: Record<FaultKind, string> = { 'workload killed': '#2b7bb9', 'pod killed and replaced': '#c0504d', 'workload frozen': '#e0a030' };

/** The soak: each fault's recovery (every workload stopped, then all running again), and index 0's memory over time. */
export function soakChart(result: SoakResult, machine: string): string {
  const width = 1000;
  const left = 70;
  const plotWidth = width - left - 30;
  const top = 50;
  const barsHeight = 220;
  const memoryTop = top + barsHeight + 70;
  const memoryHeight = 160;
  const maxMs = Math.max(1000, ...result.faults.map((fault) => fault.runningAgainMs));
  const step = plotWidth / Math.max(1, result.faults.length);
  const y = (ms: number) => top + barsHeight - (ms / maxMs) * barsHeight;
  const bars = result.faults.flatMap((fault, position) => {
    const x = left + position * step;
    const color = FAULT_COLORS[fault.kind];
    return [
      `<rect x="${(x + 2).toFixed(1)}" y="${y(fault.runningAgainMs).toFixed(1)}" width="${(step - 4).toFixed(1)}" height="${(top + barsHeight - y(fault.runningAgainMs)).toFixed(1)}" fill="${color}" fill-opacity="0.45"/>`,
      `<rect x="${(x + 2).toFixed(1)}" y="${y(fault.stoppedMs).toFixed(1)}" width="${(step - 4).toFixed(1)}" height="${(top + barsHeight - y(fault.stoppedMs)).toFixed(1)}" fill="${color}"/>`,
      `<text x="${(x + step / 2).toFixed(1)}" y="${top + barsHeight + 14}" text-anchor="middle" font-size="10">${fault.index}</text>`,
    ];
  });
  const tickMs = maxMs > 20_000 ? 5000 : 1000;
  const ticks = Array.from({ length: Math.floor(maxMs / tickMs) + 1 }, (_, tick) => tick * tickMs).map(
    (ms) => `<text x="${left - 6}" y="${(y(ms) + 4).toFixed(1)}" text-anchor="end">${ms / 1000} s</text><line x1="${left}" x2="${left + plotWidth}" y1="${y(ms).toFixed(1)}" y2="${y(ms).toFixed(1)}" stroke="#ddd"/>`,
  );
  const legend = Object.entries(FAULT_COLORS).map(([kind, color], position) => `<rect x="${left + position * 230}" y="${top - 22}" width="12" height="12" fill="${color}"/><text x="${left + position * 230 + 18}" y="${top - 12}">${kind}</text>`);
  const maxS = Math.max(1, result.durationS);
  const maxMiB = Math.max(1, ...result.memory.map(([, mib]) => mib)) * 1.2;
  const mx = (s: number) => left + (s / maxS) * plotWidth;
  const my = (mib: number) => memoryTop + memoryHeight - (mib / maxMiB) * memoryHeight;
  const generations = [...new Set(result.memory.map(([, , generation]) => generation))];
  const lines = generations.map((generation) => {
    const points = result.memory.filter(([, , each]) => each === generation).map(([s, mib]) => `${mx(s).toFixed(1)},${my(mib).toFixed(1)}`);
    return `<polyline points="${points.join(' ')}" fill="none" stroke="${generation === 0 ? '#999' : '#333'}" stroke-width="2"/>`;
  });
  const memoryTicks = [0, maxMiB / 2, maxMiB].map((mib) => `<text x="${left - 6}" y="${(my(mib) + 4).toFixed(1)}" text-anchor="end">${mib.toFixed(0)} MiB</text>`);
  const height = memoryTop + memoryHeight + 50;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Soak: ${result.pods} pods, ${result.faults.length} faults in ${(result.durationS / 60).toFixed(1)} min. Per fault (index below): every other workload stopped (solid), all running again (pale)</text>`,
    ...legend,
    ...ticks,
    ...bars,
    `<text x="10" y="${memoryTop - 14}" font-size="14" font-weight="bold">Index 0's rollcall, resident memory (grey: the first index 0, replaced by the second fault; black: its replacement)</text>`,
    ...memoryTicks,
    ...lines,
    `<text x="${left}" y="${memoryTop + memoryHeight + 18}">0 s</text><text x="${left + plotWidth}" y="${memoryTop + memoryHeight + 18}" text-anchor="end">${maxS} s</text>`,
    `<text x="10" y="${height - 10}" fill="#555">${machine}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
