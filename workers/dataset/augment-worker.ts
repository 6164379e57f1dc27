// The augmentation worker: renders training steps' two views (./render.ts) from the dataset's
// bytes, as the training worker asks (./views.ts WorkerViews), on a core of its own. No TF.js here.
import { type AugmentMessage, augmentReply } from './views';

const state: Parameters<typeof augmentReply>[0] = {};

self.onmessage = (e: MessageEvent<AugmentMessage>) => {
  const reply = augmentReply(state, e.data);
  if (!reply) return;
  const transfer = 'views' in reply ? reply.views.map((v) => v.buffer as ArrayBuffer) : [];
  (self as unknown as Worker).postMessage(reply, transfer);
};
