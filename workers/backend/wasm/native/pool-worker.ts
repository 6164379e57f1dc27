// A helper thread of the kernel pool (pool.ts): the kernels instantiated on TF.js's shared memory,
// serving the calling thread's parts until the page goes.
import { type KernelTable, serve } from './pool';

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
}

self.onmessage = ({ data }: MessageEvent<Start>) => {
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  serve(data.control, instance.exports as unknown as KernelTable);
};
