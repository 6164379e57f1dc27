import { describe, expect, it } from 'vitest';
import type { ClusterReport, CurationReport, EmbeddingSet } from '../../workers/contract/api';
import { pointColors } from './colors';
import { draftLabels } from './labels';
import { insidePolygon } from './ScatterGL';

const set = (labels: number[], classes: string[]): EmbeddingSet =>
  ({
    count: labels.length,
    labels: Int32Array.from(labels),
    classes,
    split: Uint8Array.from(labels.map((_, i) => i % 2)),
    names: labels.map((_, i) => `img${i}.png`),
  }) as EmbeddingSet;

describe('the lasso', () => {
  it('keeps exactly the points inside the polygon, concave ones included', () => {
    // An L-shaped polygon: the notch at (15, 5) is outside.
    const path: [number, number][] = [
      [0, 0],
      [10, 0],
      [10, 10],
      [20, 10],
      [20, 20],
      [0, 20],
    ];
    const pts: [number, number][] = [
      [5, 5], // in
      [15, 5], // the notch: out
      [15, 15], // in
      [25, 15], // right of it: out
      [-1, 5], // left: out
      [5, 19], // in
    ];
    expect(insidePolygon(path, pts.length, (i) => pts[i])).toEqual([0, 2, 5]);
  });
});

describe('the labels the panel would apply', () => {
  const clusters = { k: 2, assign: Int32Array.from([0, 1, 1, 0]) } as ClusterReport;
  it('takes a named selection first, then the cluster name, then the class it has', () => {
    const s = set([0, 0, 1, 1], ['a', 'b']);
    expect(draftLabels({ set: s, named: {}, clusters: null, clusterNames: [] })).toEqual(['a', 'a', 'b', 'b']);
    expect(draftLabels({ set: s, named: { 2: 'picked' }, clusters, clusterNames: ['shoes', ''] })).toEqual([
      'shoes',
      'cluster 2', // an empty name falls back to the cluster's number
      'picked',
      'shoes',
    ]);
  });
  it('leaves an unlabeled image without a label until a cluster or a selection names it', () => {
    const s = set([-1, -1, -1, -1], []);
    expect(draftLabels({ set: s, named: { 1: 'x' }, clusters: null, clusterNames: [] })).toEqual([null, 'x', null, null]);
  });
});

describe('the map colours', () => {
  it('colour each class its own way, and the unlabeled grey', () => {
    const { colors, legend } = pointColors({
      set: set([0, 1, 0, -1], ['a', 'b']),
      colorBy: 'class',
      curation: null,
      clusters: null,
      clusterNames: [],
    });
    expect(Array.from(colors.subarray(0, 3))).toEqual(Array.from(colors.subarray(6, 9)));
    expect(Array.from(colors.subarray(0, 3))).not.toEqual(Array.from(colors.subarray(3, 6)));
    expect(Array.from(colors.subarray(9, 12))).toEqual([160, 160, 160]);
    expect(legend.map((l) => l.name)).toEqual(['a', 'b']);
  });
  it('ramp outlier scores from dark (typical) to bright (outlying), clipped at the 2nd and 98th percentiles', () => {
    const n = 101;
    const scores = Float32Array.from({ length: n }, (_, i) => ((i * 37) % n) / (n - 1)); // 0 to 1, shuffled
    const curation = { outlierScores: scores } as CurationReport;
    const s = set(new Array(n).fill(0), ['a']);
    const { colors } = pointColors({ set: s, colorBy: 'outlier', curation, clusters: null, clusterNames: [] });
    const brightness = (i: number) => colors[3 * i] + colors[3 * i + 1] + colors[3 * i + 2];
    const byScore = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
    for (let r = 1; r < n; r++) expect(brightness(byScore[r])).toBeGreaterThanOrEqual(brightness(byScore[r - 1]));
    expect(brightness(byScore[0])).toBeLessThan(brightness(byScore[50]));
    expect(brightness(byScore[50])).toBeLessThan(brightness(byScore[n - 1]));
    expect(brightness(byScore[n - 1])).toBe(brightness(byScore[n - 2])); // above the 98th percentile: clipped
  });
});
