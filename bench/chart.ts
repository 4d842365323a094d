// A small SVG bar chart of release lag per contender, written by the suite itself.
import type { LagResult } from './release-lag.js';

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
