// The one worker that owns TF.js: it exposes the WorkerApi contract (./contract/api.ts) with
// Comlink as one object made of each capability's calls, as GoogleChromeLabs/squoosh's feature
// worker exposes its features' functions (src/features-worker, written by lib/feature-plugin.js).
// What the calls share, and their guards, is in ./state.ts.
import * as Comlink from 'comlink';
import { backendApi } from './backend/api';
import { checkpointApi } from './checkpoint/api';
import type { WorkerApi } from './contract/api';
import { datasetApi } from './dataset/api';
import { embedApi } from './embed/api';
import { evalApi } from './eval/api';
import { state } from './state';
import { trainApi } from './train/api';

// Loses the GPU device on purpose, as a driver reset would: the browser test of the recovery
// sends this from the worker's own scope (a message no other code posts).
self.addEventListener('message', (e: MessageEvent) => {
  if ((e.data as { type?: string } | null)?.type === 'vicreg:destroy-gpu-device') state.gpu?.destroy();
});

Comlink.expose({ ...backendApi, ...datasetApi, ...trainApi, ...evalApi, ...embedApi, ...checkpointApi } satisfies WorkerApi);
