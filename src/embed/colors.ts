// The map's colours: by class, cluster, k-NN vote, outlier score or split, with the legend that
// explains them. Pure, so the UI thread's cost at 50,000 points is one pass.
import { classColor } from '../eval/FeatureMap';
import type { ColorBy, EmbedState } from './slice';

const GREY: [number, number, number] = [160, 160, 160];
const hex = (h: string): [number, number, number] => {
  if (h.startsWith('hsl')) {
    const [hh, s, l] = h.match(/[\d.]+/g)!.map(Number);
    const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
    const f = (n: number) => {
      const k = (n + hh / 30) % 12;
      return Math.round(255 * (l / 100 - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
    };
    return [f(0), f(8), f(4)];
  }
  return [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
};
/** Viridis at five stops (matplotlib), interpolated: low outlier scores dark blue, high yellow. */
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];
function ramp(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(VIRIDIS[i][c] * (1 - f) + VIRIDIS[i + 1][c] * f)) as [number, number, number];
}

/** [N, 3] colours of the points under the chosen colouring, and the legend that explains them. */
export function pointColors(e: Pick<EmbedState, 'set' | 'colorBy' | 'curation' | 'clusters' | 'clusterNames'>): {
  colors: Uint8Array;
  legend: { name: string; rgb: [number, number, number] }[];
} {
  const set = e.set!;
  const out = new Uint8Array(set.count * 3);
  const paint = (i: number, rgb: [number, number, number]) => out.set(rgb, 3 * i);
  const by: ColorBy = e.colorBy;
  if (by === 'outlier' && e.curation) {
    const s = e.curation.outlierScores;
    const sorted = Float32Array.from(s).sort();
    const lo = sorted[Math.floor(0.02 * (s.length - 1))];
    const hi = sorted[Math.floor(0.98 * (s.length - 1))];
    for (let i = 0; i < set.count; i++) paint(i, ramp((s[i] - lo) / (hi - lo || 1)));
    return {
      colors: out,
      legend: [
        { name: 'typical', rgb: ramp(0) },
        { name: 'outlying', rgb: ramp(1) },
      ],
    };
  }
  if (by === 'split') {
    const train: [number, number, number] = [78, 121, 167];
    const test: [number, number, number] = [242, 142, 43];
    for (let i = 0; i < set.count; i++) paint(i, set.split[i] ? test : train);
    return {
      colors: out,
      legend: set.split.some((v) => v)
        ? [
            { name: 'train', rgb: train },
            { name: 'test', rgb: test },
          ]
        : [{ name: 'all images', rgb: train }],
    };
  }
  if (by === 'cluster' && e.clusters) {
    const cs = e.clusters;
    const palette = cs.sizes.map((_, k) => hex(classColor(k)));
    for (let i = 0; i < set.count; i++) paint(i, palette[cs.assign[i]]);
    return { colors: out, legend: e.clusterNames.map((name, k) => ({ name, rgb: hex(classColor(k)) })) };
  }
  const labels = by === 'predicted' && e.curation ? e.curation.predicted : set.labels;
  const palette = set.classes.map((_, k) => hex(classColor(k)));
  for (let i = 0; i < set.count; i++) paint(i, labels[i] >= 0 ? palette[labels[i]] : GREY);
  return {
    colors: out,
    legend: set.classes.length ? set.classes.map((name, k) => ({ name, rgb: hex(classColor(k)) })) : [{ name: 'no label', rgb: GREY }],
  };
}
