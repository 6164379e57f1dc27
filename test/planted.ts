// The sample set with planted faults, for the embeddings panel's browser test and its bench
// (test/e2e/embeddings.spec.ts, bench/embeddings.ts): 10 exact copies, 10 copies shifted by one
// pixel, 20 foreign images (noise, checkerboards, rings, stripes) and 40 images filed under
// another class. Seeded, so both see the same faults.
import { mulberry32 } from '../workers/dataset/random';

export const SIDE = 28;

export type Kind = 'image' | 'copy' | 'shift' | 'foreign';

/** One image of the planted set: its pixels, the folder class it is filed under, its true class
 *  (-1: foreign), its file name, and which original it copies. */
export interface PlantedImage {
  pixels: Uint8Array; // [28, 28] grayscale
  filed: number;
  truth: number;
  file: string; // "class3/17.png"
  kind: Kind;
  of?: string; // the original's file, for copies
  swapped: boolean;
}

/** A foreign image: nothing like a garment. Four kinds, each varied by j. */
function foreign(j: number): Uint8Array {
  const rand = mulberry32(1000 + j);
  const g = new Uint8Array(SIDE * SIDE);
  const p = 2 + (j % 5);
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      let v: number;
      if (j % 4 === 0) v = rand() * 255;
      else if (j % 4 === 1) v = (Math.floor(x / p) + Math.floor(y / p)) % 2 ? 255 : 0;
      else if (j % 4 === 2) v = Math.floor(Math.hypot(x - 14, y - 14) / p) % 2 ? 230 : 20;
      else v = Math.floor((x + (y * (j % 3)) / 2) / p) % 2 ? 255 : 40;
      g[y * SIDE + x] = v;
    }
  return g;
}

/** The image moved right by one pixel, its first column black: a near copy. */
function shifted(img: Uint8Array): Uint8Array {
  const g = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) for (let x = 1; x < SIDE; x++) g[y * SIDE + x] = img[y * SIDE + x - 1];
  return g;
}

/** The sample's images [N, 28, 28] and labels with the faults planted; `clean` plants none. */
export function plantFaults(pixels: Uint8Array, labels: Uint8Array | Int32Array, clean = false): PlantedImage[] {
  const n = labels.length;
  const size = SIDE * SIDE;
  const img = (i: number) => new Uint8Array(pixels.subarray(i * size, (i + 1) * size));
  const rand = mulberry32(7);
  const order = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
  const copyOf = new Set(order.slice(0, 10));
  const nearOf = new Set(order.slice(10, 20));
  const swap = new Set(order.slice(20, 60));
  const out: PlantedImage[] = [];
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const swapped = !clean && swap.has(i);
    const filed = swapped ? (y + 1 + (i % 9)) % 10 : y;
    const file = `class${filed}/${i}.png`;
    out.push({ pixels: img(i), filed, truth: y, file, kind: 'image', swapped });
    if (clean) continue;
    if (copyOf.has(i))
      out.push({ pixels: img(i), filed: y, truth: y, file: `class${y}/${i}-copy.png`, kind: 'copy', of: file, swapped: false });
    if (nearOf.has(i))
      out.push({ pixels: shifted(img(i)), filed: y, truth: y, file: `class${y}/${i}-shift.png`, kind: 'shift', of: file, swapped: false });
  }
  if (!clean)
    for (let j = 0; j < 20; j++)
      out.push({ pixels: foreign(j), filed: j % 10, truth: -1, file: `class${j % 10}/foreign-${j}.png`, kind: 'foreign', swapped: false });
  return out;
}

/** What the panel found of the planted faults, from its findings (kind, group or rank, file). */
export function countFound(images: PlantedImage[], rows: { kind: string; group: string; file: string }[]) {
  const groups = (kind: string) => {
    const m = new Map<string, Set<string>>();
    for (const r of rows) if (r.kind === kind) m.set(r.group, (m.get(r.group) ?? new Set()).add(r.file));
    return [...m.values()];
  };
  const together = (gs: Set<string>[], a: string, b: string) => gs.some((g) => g.has(a) && g.has(b));
  const listed = (kind: string) => new Set(rows.filter((r) => r.kind === kind).map((r) => r.file));
  const exactGroups = groups('exact');
  const nearGroups = groups('near');
  const outliers = listed('outlier');
  const suspects = listed('suspect');
  return {
    exact: images.filter((m) => m.kind === 'copy' && together(exactGroups, m.file, m.of!)).length,
    exactGroups: exactGroups.length,
    near: images.filter((m) => m.kind === 'shift' && together(nearGroups, m.file, m.of!)).length,
    nearGroups: nearGroups.length,
    foreign: images.filter((m) => m.kind === 'foreign' && outliers.has(m.file)).length,
    outliers: outliers.size,
    swapped: images.filter((m) => m.swapped && suspects.has(m.file)).length,
    suspects: suspects.size,
  };
}
