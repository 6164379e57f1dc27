// The one worker that owns TF.js: it exposes the WorkerApi contract (./contract/api.ts) with
// Comlink as one object made of each capability's calls, as GoogleChromeLabs/squoosh's feature
// worker exposes its features' functions (src/features-worker, written by lib/feature-plugin.js).
// The calls live in ./host/, one file per capability; what they share, and their guards, is in
// ./host/state.ts. The host imports the capabilities, never the other way round
// (test/unit/layers.test.ts checks it).
import * as Comlink from 'comlink';
import { backendApi } from './host/backend';
import { checkpointApi } from './host/checkpoint';
import type { WorkerApi } from './contract/api';
import { datasetApi } from './host/dataset';
import { embedApi } from './host/embed';
import { evalApi } from './host/eval';
import { state } from './host/state';
import { trainApi } from './host/train';

// Loses the GPU device on purpose, as a driver reset would: the browser test of the recovery
// sends this from the worker's own scope (a message no other code posts).
self.addEventListener('message', (e: MessageEvent) => {
  if ((e.data as { type?: string } | null)?.type === 'vicreg:destroy-gpu-device') state.gpu?.destroy();
});

Comlink.expose({ ...backendApi, ...datasetApi, ...trainApi, ...evalApi, ...embedApi, ...checkpointApi } satisfies WorkerApi);
