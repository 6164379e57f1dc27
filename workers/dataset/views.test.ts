// The two places a step's views are rendered (views.ts): on the calling thread and in a worker,
// here a stand-in that answers with the worker's own function (augmentReply) on a later task, as
// a real worker would. Same bytes, request order kept, and a worker that fails hands its queue
// over without losing a step.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { drawParams, viewOptions } from './augment';
import { fromPixels } from './dataset';
import { mulberry32 } from './random';
import {
  type AugmentMessage,
  type AugmentPort,
  type AugmentReply,
  augmentReply,
  InlineViews,
  type ViewRequest,
  viewSource,
  WorkerViews,
} from './views';

const data = fromPixels(
  Uint8Array.from({ length: 20 * 8 * 8 * 3 }, (_, i) => (i * 53) % 256),
  { count: 20, height: 8, width: 8, channels: 3 },
  new Int32Array(20),
  [],
  {
    id: 'd',
    name: 'd',
    source: 'd',
    testFraction: 0,
    seed: 0,
  },
);
const S = 6;
const requests: ViewRequest[] = Array.from({ length: 5 }, (_, k) => {
  const rand = mulberry32(k + 1);
  const batch = Int32Array.from({ length: 4 }, (_, i) => (k * 4 + i) % 20);
  const params = [1, 2].map((v) => drawParams(4, 8, 8, viewOptions({ ...DEFAULT_CONFIG, imageSize: S }, v as 1 | 2), rand));
  return { batch, params: params as ViewRequest['params'], imageSize: k === 4 ? S + 2 : S }; // one at another side
});

/** A worker stand-in: answers each message on a later task with augmentReply; `failAt` makes it fail there. */
function fakeWorker(failAt = -1): AugmentPort & { sent: AugmentMessage[]; terminated: boolean } {
  const state = {};
  const port = {
    sent: [] as AugmentMessage[],
    terminated: false,
    onmessage: null as ((e: { data: AugmentReply }) => void) | null,
    onerror: null as ((e: unknown) => void) | null,
    postMessage(m: AugmentMessage) {
      port.sent.push(m);
      setTimeout(() => {
        if (port.terminated) return;
        if (m.type === 'render' && m.id === failAt) return port.onerror?.(new Error('worker crashed'));
        const reply = augmentReply(state, structuredClone(m));
        if (reply) port.onmessage?.({ data: reply });
      }, 1);
    },
    terminate() {
      port.terminated = true;
    },
  };
  return port;
}

describe('view sources', () => {
  const inline = () => {
    const v = new InlineViews(data);
    return requests.map((r) => v.render(r));
  };

  it('a worker renders the same bytes as the calling thread, in request order', async () => {
    const port = fakeWorker();
    const v = new WorkerViews(port, data);
    for (const r of requests) v.request(r);
    const got = [];
    for (let k = 0; k < requests.length; k++) got.push(await v.take());
    expect(got).toEqual(inline());
    expect(port.sent[0].type).toBe('init');
    v.dispose();
    expect(port.terminated).toBe(true);
  });

  it('takes the buffers it is given back to render into', async () => {
    const port = fakeWorker();
    const v = new WorkerViews(port, data);
    v.request(requests[0]);
    const first = await v.take();
    v.recycle(first);
    v.request(requests[1]);
    const sent = port.sent.at(-1) as Extract<AugmentMessage, { type: 'render' }>;
    expect(sent.buffers).toHaveLength(2);
    expect(await v.take()).toEqual(inline().slice(1, 2)[0]);
    v.dispose();
  });

  it('a worker that fails mid-run hands its queue to the calling thread: no step lost, same bytes', async () => {
    const port = fakeWorker(2);
    const v = new WorkerViews(port, data);
    const got = [];
    v.request(requests[0]);
    v.request(requests[1]);
    got.push(await v.take());
    for (const r of requests.slice(2)) v.request(r);
    for (let k = 1; k < requests.length; k++) got.push(await v.take());
    expect(got).toEqual(inline());
    expect(v.where).toBe('inline');
    expect(port.terminated).toBe(true);
  });

  it('renders on the calling thread where no worker can start', async () => {
    const v = viewSource(data, () => {
      throw new Error('no nested workers here');
    });
    expect(v.where).toBe('inline');
    v.request(requests[3]);
    expect(await v.take()).toEqual(inline()[3]);
    expect(viewSource(data, null).where).toBe('inline');
  });
});
