// The worker's training calls (TrainApi in ../contract/api.ts): a run, new or resumed from a
// stored checkpoint, and the controls the UI drives it with while it trains.
import type { TrainApi, TrainEvent } from '../contract/api';
import type { Checkpoint } from '../checkpoint/record';
import { browserKv, newRunId } from '../checkpoint/run-db';
import { checkpointWriter, openForResume } from './checkpoint-service';
import { announceRunsChanged, withRunLock } from '../checkpoint/tabs';
import { resplit } from '../dataset/dataset';
import { disposeEvalCheckpoint, disposeRun, requireBackend, requireDataset, requireIdle, state } from './state';
import { RunControl } from '../train/run';
import { train } from '../train/trainer';

const NO_DATASET = 'load a dataset before training';

export const trainApi: TrainApi = {
  async train(config, onEvent, from) {
    requireBackend();
    const loaded = requireDataset(NO_DATASET);
    requireIdle();
    let runConfig = config;
    let resume: Checkpoint | undefined;
    let run = { runId: newRunId(), runName: `${loaded.summary.name} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}` };
    if (from) {
      const opened = await openForResume(browserKv(), from, () => requireDataset(NO_DATASET), config);
      runConfig = opened.config;
      state.dataset = resplit(requireDataset(NO_DATASET), runConfig.testFraction, runConfig.seed);
      resume = opened.checkpoint;
      run = opened.run;
    }
    const data = requireDataset(NO_DATASET);
    // One tab at a time trains a run (../checkpoint/tabs.ts); the others may still read it.
    // The other tabs hear of the run when it starts and once its lock is free again.
    return withRunLock(run.runId, run.runName, async () => {
      announceRunsChanged();
      disposeRun();
      disposeEvalCheckpoint();
      state.runCount++;
      state.currentRunId = run.runId;
      const ctl = (state.control = new RunControl());
      const written = (e: TrainEvent) => {
        if (e.type === 'checkpoint') announceRunsChanged();
        onEvent(e);
      };
      try {
        state.lastRun = await train(data, runConfig, ctl, onEvent, {
          ...run,
          resume,
          checkpoint: checkpointWriter(browserKv(), runConfig.keepCheckpoints, written),
        });
        return state.lastRun.state;
      } finally {
        ctl.stop();
      }
    }).finally(announceRunsChanged);
  },
  saveCheckpoint: () => state.control?.requestSave(),
  pause: () => state.control?.pause(),
  resume: () => state.control?.resume(),
  stop: () => state.control?.stop(),
};
