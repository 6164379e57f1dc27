// The one worker that owns TF.js. It implements the WorkerApi contract and is exposed with Comlink.
import * as Comlink from 'comlink';
import type { BackendReport, WorkerApi } from './contract/api';
import { selectBackend } from './backend/select';
import { loadSample, type Dataset } from './data/dataset';
import { previewAugment } from './data/preview';
import { RunControl, train, type TrainedRun } from './train/trainer';

let dataset: Dataset | null = null;
let backend: BackendReport | null = null;
let control: RunControl | null = null;
let lastRun: TrainedRun | null = null;

function disposeRun() {
  lastRun?.model.dispose();
  lastRun?.optimizer.dispose();
  lastRun?.avt.ema?.dispose();
  lastRun = null;
}

const api: WorkerApi = {
  async selectBackend(choice) {
    if (control && !control.stopped) throw new Error('stop the running training before changing the backend');
    // Tensors belong to one backend; anything held is rebuilt on the new one.
    disposeRun();
    dataset?.images.dispose();
    dataset = null;
    backend = await selectBackend(choice);
    return backend;
  },
  async loadSample(baseUrl, testFraction, seed) {
    if (!backend) throw new Error('select a backend first');
    dataset?.images.dispose();
    dataset = await loadSample(baseUrl, testFraction, seed);
    return dataset.summary;
  },
  async previewAugment(config, count, draw) {
    if (!dataset) throw new Error('load a dataset first');
    return previewAugment(dataset, config, count, draw);
  },
  async train(config, onEvent) {
    if (!dataset) throw new Error('load a dataset before training');
    if (control && !control.stopped) throw new Error('a run is already in progress');
    disposeRun();
    control = new RunControl();
    try {
      lastRun = await train(dataset, config, control, onEvent);
      return lastRun.state;
    } finally {
      control.stop();
    }
  },
  pause: () => control?.pause(),
  resume: () => control?.resume(),
  stop: () => control?.stop(),
};

Comlink.expose(api);
