// Frozen features, kept per weights: k-NN, the probe, the feature map and the neighbour gallery
// of the same weights embed the images once. Each caller gets clones (TF.js shares the buffer and
// counts references), so eviction never frees features a caller is still using.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../dataset/dataset';

/** Features of the training split [N, D] and of the test split [M, D], in split order. */
export interface FeaturePair {
  train: tf.Tensor2D;
  test: tf.Tensor2D;
}

interface Entry {
  pending: Promise<FeaturePair>;
  value: FeaturePair | null;
  holders: number; // callers awaiting or cloning the value
  used: number; // clock of the last get, for least-recently-used eviction
  dropped: boolean; // out of the map; freed when the last holder is done
}

const bytesOf = (p: FeaturePair) => 4 * (p.train.size + p.test.size);
const clonePair = (p: FeaturePair): FeaturePair => ({ train: p.train.clone(), test: p.test.clone() });

export class FeatureCache {
  private entries = new Map<string, Entry>();
  private data: Dataset | null = null;
  private clock = 0;

  /** budgetBytes: cached features beyond this are evicted, least recently used first (default 256 MiB,
   *  about 500,000 features of 128 floats: room for a few sets of weights of a large dataset). */
  constructor(private readonly budgetBytes = 256 * 2 ** 20) {}

  /**
   * Clones of the features under `key` for `data`, which `compute` produces once (concurrent
   * callers share one computation; a failed one is forgotten, so the next call tries again).
   * Another dataset (or another split of it) empties the cache first. The caller disposes the clones.
   */
  async get(key: string, data: Dataset, compute: () => Promise<FeaturePair>): Promise<FeaturePair> {
    if (data !== this.data) {
      this.clear();
      this.data = data;
    }
    let e = this.entries.get(key);
    if (!e) {
      e = { pending: compute(), value: null, holders: 0, used: 0, dropped: false };
      this.entries.set(key, e);
    }
    e.used = ++this.clock;
    e.holders++;
    try {
      e.value = await e.pending;
      return clonePair(e.value);
    } catch (err) {
      this.drop(key, e);
      throw err;
    } finally {
      e.holders--;
      this.release(e);
      this.evict();
    }
  }

  /** Clones of what is cached under `key` (for `data`), or null when it is not (yet, or any more). */
  peek(key: string, data: Dataset): FeaturePair | null {
    const e = data === this.data ? this.entries.get(key) : undefined;
    if (!e?.value) return null;
    e.used = ++this.clock;
    return clonePair(e.value);
  }

  has(key: string, data: Dataset): boolean {
    return data === this.data && this.entries.get(key)?.value != null;
  }

  /** Forgets every entry, or those whose key starts with `prefix` (one run's weights). */
  clear(prefix = ''): void {
    for (const [key, e] of [...this.entries]) if (key.startsWith(prefix)) this.drop(key, e);
  }

  /** Bytes held by cached features (not counting computations still running). */
  get bytes(): number {
    let total = 0;
    for (const e of this.entries.values()) if (e.value) total += bytesOf(e.value);
    return total;
  }

  private drop(key: string, e: Entry) {
    if (this.entries.get(key) === e) this.entries.delete(key);
    e.dropped = true;
    this.release(e);
  }

  private release(e: Entry) {
    if (e.dropped && e.holders === 0 && e.value) {
      tf.dispose([e.value.train, e.value.test]);
      e.value = null;
    }
  }

  private evict() {
    const idle = [...this.entries].filter(([, e]) => e.value && e.holders === 0).sort((a, b) => a[1].used - b[1].used);
    for (const [key, e] of idle) {
      if (this.bytes <= this.budgetBytes) break;
      this.drop(key, e);
    }
  }
}
