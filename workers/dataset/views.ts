// Where a training step's two views are rendered (./render.ts): in a second worker
// (./augment-worker.ts), a step or two ahead of the step that trains on them, so that the
// augmentation runs on another core while the training thread computes; or, where no worker can
// start (Node, a browser that refuses nested workers), on the training thread when asked. Both
// run the same pure function on the same draws, so they give the same bytes.
import type { ViewParams } from './augment';
import type { Dataset } from './dataset';
import { type PixelSource, renderView } from './render';

/** Views [B, S, S, 3] (normalized float32) of one step: view 1 and view 2. */
export type ViewPair = [Float32Array, Float32Array];

/** A step's images, both views' draws, and the side to render them at. */
export interface ViewRequest {
  batch: Int32Array;
  params: [ViewParams, ViewParams];
  imageSize: number;
}

export interface ViewSource {
  /** Where the views are rendered. */
  readonly where: 'worker' | 'inline';
  /** Queues a step's views; they are rendered in request order. */
  request(r: ViewRequest): void;
  /** The oldest requested step's views. */
  take(): Promise<ViewPair>;
  /** Returns a pair's buffers for reuse once they are no longer read. */
  recycle(pair: ViewPair): void;
  dispose(): void;
}

/** Messages to the augmentation worker. */
export type AugmentMessage =
  | { type: 'init'; source: PixelSource; mean: number[]; std: number[] }
  | { type: 'render'; id: number; request: ViewRequest; buffers: ArrayBuffer[] };
/** Its answers: a rendered pair, or why it failed. */
export type AugmentReply = { id: number; views: ViewPair } | { id: number; error: string };

/** The dataset's bytes as the worker can take them: shared (no copy) where the page is
 *  cross-origin isolated, else copied once into the message. */
function pixelSource(data: Dataset): PixelSource {
  const { height, width, channels } = data.shape;
  let pixels = data.pixels;
  if (typeof SharedArrayBuffer !== 'undefined' && !(pixels.buffer instanceof SharedArrayBuffer) && globalThis.crossOriginIsolated) {
    const shared = new Uint8Array(new SharedArrayBuffer(pixels.length));
    shared.set(pixels);
    data.pixels = pixels = shared; // the dataset keeps the shared copy: one copy in memory, not two
  }
  return { pixels, height, width, channels, gray: data.summary.grayscale };
}

/** Renders on the calling thread, when asked. */
export class InlineViews implements ViewSource {
  readonly where = 'inline';
  private queue: ViewRequest[] = [];
  private spare: Float32Array[] = [];
  private readonly source: PixelSource;
  constructor(private readonly data: Dataset) {
    const { height, width, channels } = data.shape;
    this.source = { pixels: data.pixels, height, width, channels, gray: data.summary.grayscale };
  }
  request(r: ViewRequest): void {
    this.queue.push(r);
  }
  async take(): Promise<ViewPair> {
    const r = this.queue.shift();
    if (!r) throw new Error('no views were requested');
    return this.render(r);
  }
  render(r: ViewRequest): ViewPair {
    const n = r.batch.length * r.imageSize * r.imageSize * 3;
    const buffer = () => {
      const b = this.spare.pop();
      return b && b.length === n ? b : new Float32Array(n);
    };
    return [
      renderView(this.source, r.batch, r.params[0], r.imageSize, this.data, buffer()),
      renderView(this.source, r.batch, r.params[1], r.imageSize, this.data, buffer()),
    ];
  }
  recycle(pair: ViewPair): void {
    if (this.spare.length < 4) this.spare.push(...pair);
  }
  /** The requests not yet taken, for a source that takes over. */
  pending(): ViewRequest[] {
    return this.queue;
  }
  dispose(): void {
    this.queue = [];
  }
}

/** A worker's side of the channel, or a stand-in for one (tests). */
export interface AugmentPort {
  postMessage(m: AugmentMessage, transfer?: Transferable[]): void;
  onmessage: ((e: { data: AugmentReply }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  terminate(): void;
}

/** Renders in a second worker. A worker that fails hands its queue over to the calling thread. */
export class WorkerViews implements ViewSource {
  where: 'worker' | 'inline' = 'worker';
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { request: ViewRequest; done?: ViewPair; settle?: (p: ViewPair) => void; fail?: (e: Error) => void }
  >();
  private order: number[] = [];
  private spare: ArrayBuffer[] = [];
  private fallback: InlineViews | null = null;

  constructor(
    private readonly port: AugmentPort,
    private readonly data: Dataset,
  ) {
    const source = pixelSource(data);
    port.onmessage = (e) => this.answer(e.data);
    port.onerror = () => this.failOver();
    port.postMessage({ type: 'init', source, mean: [...data.mean], std: [...data.std] });
  }

  request(r: ViewRequest): void {
    if (this.fallback) {
      this.fallback.request(r);
      return;
    }
    const id = this.nextId++;
    this.waiting.set(id, { request: r });
    this.order.push(id);
    const buffers = this.spare.splice(0, 2);
    this.port.postMessage({ type: 'render', id, request: r, buffers }, buffers);
  }

  take(): Promise<ViewPair> {
    const id = this.order.shift();
    if (id === undefined) return this.fallback ? this.fallback.take() : Promise.reject(new Error('no views were requested'));
    const w = this.waiting.get(id)!;
    if (w.done) {
      this.waiting.delete(id);
      return Promise.resolve(w.done);
    }
    if (this.fallback) {
      this.waiting.delete(id);
      return Promise.resolve(this.fallback.render(w.request));
    }
    return new Promise((settle, fail) => Object.assign(w, { settle, fail }));
  }

  recycle(pair: ViewPair): void {
    if (this.spare.length < 4) this.spare.push(...pair.map((v) => v.buffer as ArrayBuffer));
  }

  dispose(): void {
    this.port.onmessage = null;
    this.port.onerror = null;
    this.port.terminate();
    for (const w of this.waiting.values()) w.fail?.(new Error('the augmentation worker was stopped'));
    this.waiting.clear();
  }

  private answer(reply: AugmentReply): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    if ('error' in reply) {
      this.failOver();
      return;
    }
    if (w.settle) {
      this.waiting.delete(reply.id);
      w.settle(reply.views);
    } else w.done = reply.views;
  }

  /** The worker failed: render what it had not answered, and everything after, on this thread. */
  private failOver(): void {
    if (this.fallback) return;
    this.where = 'inline';
    this.fallback = new InlineViews(this.data);
    this.port.terminate();
    for (const [id, w] of this.waiting) {
      if (w.done) continue;
      if (w.settle) {
        this.waiting.delete(id);
        this.order = this.order.filter((o) => o !== id);
        try {
          w.settle(this.fallback.render(w.request));
        } catch (e) {
          w.fail?.(e as Error);
        }
      }
    }
  }
}

/** The answer to one message, as the worker computes it (./augment-worker.ts). */
export function augmentReply(state: { init?: Extract<AugmentMessage, { type: 'init' }> }, m: AugmentMessage): AugmentReply | null {
  if (m.type === 'init') {
    state.init = m;
    return null;
  }
  const init = state.init;
  if (!init) return { id: m.id, error: 'the augmentation worker was not given a dataset' };
  try {
    const { batch, params, imageSize } = m.request;
    const n = batch.length * imageSize * imageSize * 3;
    const out = (k: number) => (m.buffers[k] && m.buffers[k].byteLength === 4 * n ? new Float32Array(m.buffers[k]) : new Float32Array(n));
    const stats = { mean: init.mean, std: init.std };
    const views: ViewPair = [
      renderView(init.source, batch, params[0], imageSize, stats, out(0)),
      renderView(init.source, batch, params[1], imageSize, stats, out(1)),
    ];
    return { id: m.id, views };
  } catch (e) {
    return { id: m.id, error: e instanceof Error ? e.message : String(e) };
  }
}

/** A second worker where this environment can start one, else the calling thread. */
export function viewSource(data: Dataset, startWorker: (() => AugmentPort) | null): ViewSource {
  if (startWorker) {
    try {
      return new WorkerViews(startWorker(), data);
    } catch {
      // No nested workers here (or a CSP that forbids them): render on this thread.
    }
  }
  return new InlineViews(data);
}
