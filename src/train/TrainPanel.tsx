import { lazy, Suspense, useEffect, useState } from 'react';
import { LOOP_PHASES, type WorkerMemory } from '../../workers/contract/api';
import { Field } from '../config/Field';
import { eta, formatDuration, formatMemory } from '../format';
import { whenIdle } from '../idle';
import { useModelVerdict } from '../model/verdict';
import { ProgressBar, useNow } from '../progress';
import { useStore } from '../store';
import { backendReady, runActive } from '../store/selectors';
import { pauseTraining, readWorkerMemory, resumeTraining, startTraining, stopTraining } from './actions';

function Progress() {
  const step = useStore((s) => s.step);
  const total = useStore((s) => s.totalSteps);
  const anchor = useStore((s) => s.etaAnchor);
  const state = useStore((s) => s.runState);
  const last = useStore((s) => s.metrics[s.metrics.length - 1]);
  const timed = useStore((s) => {
    for (let i = s.metrics.length - 1; i >= 0; i--) if (s.metrics[i].dataMs !== undefined) return s.metrics[i];
    return undefined;
  });
  const active = useStore(runActive);
  const now = useNow(1000, state === 'running');
  const remaining = state === 'running' ? eta(anchor, step, total, now) : null;
  return (
    <div className="progress">
      <ProgressBar done={step} total={total} />
      <div className="numbers">
        <span>
          Step <strong data-testid="step">{step}</strong> / {total || '–'}
        </span>
        {last && <span>epoch {last.epoch + 1}</span>}
        {last && (
          <span>
            {last.imagesPerSec.toFixed(1)} img/s · {last.msPerStep.toFixed(0)} ms/step
          </span>
        )}
        {timed && (
          <span data-testid="step-timing" title={`measured at step ${timed.step}: building both augmented views, then the training step`}>
            data {timed.dataMs!.toFixed(0)} ms · compute {timed.computeMs!.toFixed(0)} ms
          </span>
        )}
        <span>ETA {formatDuration(remaining)}</span>
        <span data-testid="run-state" className={`state ${state}`}>
          {state}
        </span>
        <MemoryReadout active={active} />
      </div>
      <LoopPhases />
    </div>
  );
}

const PHASE_NAMES: Record<(typeof LOOP_PHASES)[number] | 'idle', string> = {
  step: 'step',
  data: 'views',
  readback: 'readback',
  knn: 'online k-NN',
  checkpoint: 'checkpoints',
  other: 'other',
  idle: 'idle',
};

/** Where the loop's time goes, as shares of its wall time: the step's share is how busy the
 *  training thread keeps the backend with training itself. */
function LoopPhases() {
  const r = useStore((s) => s.phases);
  if (!r || r.wallMs <= 0) return null;
  const parts = [...LOOP_PHASES.map((p) => [p, r.ms[p]] as const), ['idle', r.idleMs] as const].filter(([, ms]) => ms / r.wallMs >= 0.005);
  const share = (ms: number) => `${((100 * ms) / r.wallMs).toFixed(0)}%`;
  return (
    <div
      className="loop-phases hint"
      data-testid="loop-phases"
      data-report={JSON.stringify(r)}
      title={`The training thread's time over ${r.steps} steps (${formatDuration(r.wallMs)}): ${(r.images / (r.wallMs / 1000)).toFixed(0)} img/s over the whole loop, ${(r.images / (r.ms.step / 1000)).toFixed(0)} img/s in the step alone`}
    >
      <span className="loop-bar" aria-hidden="true">
        {parts.map(([p, ms]) => (
          <span key={p} className={`phase-${p}`} style={{ width: share(ms) }} />
        ))}
      </span>
      <span>time: {parts.map(([p, ms]) => `${PHASE_NAMES[p]} ${share(ms)}`).join(' · ')}</span>
    </div>
  );
}

/** The worker's tensors and memory, read every few seconds while a run is active (from
 *  'preparing', when the model is built): flat over a long run, or a leak shows here first. */
function MemoryReadout({ active }: { active: boolean }) {
  const [m, setM] = useState<WorkerMemory | null>(null);
  useEffect(() => {
    if (!active) return;
    let live = true;
    const read = () => void readWorkerMemory().then((x) => live && x && setM(x));
    read();
    const id = setInterval(read, 5000);
    return () => {
      live = false;
      clearInterval(id);
    };
  }, [active]);
  if (!m) return null;
  return (
    <span
      className="hint"
      data-testid="tf-memory"
      data-tensors={m.tensors}
      data-bytes={m.bytes}
      data-heap={m.wasmHeapBytes ?? ''}
      title="TF.js tensors held by the training worker and their size; the WASM heap, which grows and never shrinks"
    >
      {m.tensors} tensors · {formatMemory(m.bytes)}
      {m.wasmHeapBytes !== null ? ` · heap ${formatMemory(m.wasmHeapBytes)}` : ''}
    </span>
  );
}

/** While the backend starts (a first guess, or the one measured fastest earlier: a second or two). */
function MeasuringBackends() {
  return (
    <span className="hint" data-testid="train-waiting">
      Train waits: starting the backend.
    </span>
  );
}

/** What went wrong with the run, here where the user watches it, as well as where it belongs
 *  (the Checkpoints panel's notice, the warnings at the top): a failed run's reason (a NaN stop, a
 *  lost GPU), a checkpoint that could not be saved (gone once a later one is), the worker replaced. */
function RunNotice() {
  const failed = useStore((s) => (s.runState === 'failed' ? s.runMessage : null));
  const notice = useStore((s) => (s.checkpointNotice?.run ? s.checkpointNotice : null));
  if (!failed && !notice) return null;
  return (
    <div className="run-notice" data-testid="train-notice" role="alert">
      {failed && <p className="error">Training failed: {failed}</p>}
      {notice && !(failed && notice.run === 'worker') && (
        <p className="error" data-kind={notice.run}>
          {notice.text} <a href="#checkpoints">Checkpoints</a>
        </p>
      )}
    </div>
  );
}

// The charts (recharts) load after the first screen (src/App.tsx fetches them once the page is idle).
const Charts = lazy(() => import('./Charts').then((m) => ({ default: m.Charts })));

/** Whether the charts are drawn yet: once the page is idle after its first screen, or at once when
 *  there is something to plot. Thirteen empty charts mounted with the first screen held its first
 *  click back (recharts' evaluation and their first layout). */
function useChartsShown(): boolean {
  const hasPoints = useStore((s) => s.metrics.length > 0 || s.diagnostics.length > 0 || s.knn.length > 0);
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    whenIdle(() => setIdle(true), 2000, 1000);
  }, []);
  return idle || hasPoints;
}

export function TrainPanel() {
  const state = useStore((s) => s.runState);
  const message = useStore((s) => s.runMessage);
  // Train stays off while the model card's estimate passes a limit of the backend.
  const memoryBlock = useModelVerdict().warnings[0]?.message ?? null;
  const backendStatus = useStore((s) => s.backendStatus);
  const canStart = useStore((s) => s.datasetStatus === 'ready' && backendReady(s)) && !memoryBlock;
  const active = useStore(runActive);
  const chartsShown = useChartsShown();
  return (
    <section className="panel train">
      <h2>Train</h2>
      <div className="controls">
        <button data-testid="train-start" className="primary" disabled={!canStart || active} onClick={() => void startTraining()}>
          Train
        </button>
        <button data-testid="train-pause" disabled={state !== 'running'} onClick={() => void pauseTraining()}>
          Pause
        </button>
        <button data-testid="train-resume" disabled={state !== 'paused'} onClick={() => void resumeTraining()}>
          Resume
        </button>
        <button data-testid="train-stop" disabled={!active} onClick={() => void stopTraining()}>
          Stop
        </button>
        <span
          className="budget"
          title="Minutes the run may take: the epochs are set from the first steps' measured time so that warmup and cosine schedule end within it (0: use epochs)"
        >
          <Field name="budgetMinutes" disabled={active} label="budget (min)" testId="train-budget" />
        </span>
        {!canStart &&
          !active &&
          (memoryBlock ? (
            <span className="hint error" data-testid="train-blocked">
              Train is off: {memoryBlock}
            </span>
          ) : backendStatus === 'selecting' ? (
            <MeasuringBackends />
          ) : backendStatus === 'failed' ? (
            <span className="hint error">Train is off: no backend could train (see the backend badge).</span>
          ) : (
            <span className="hint">Load a dataset to train.</span>
          ))}
      </div>
      <Progress />
      <RunNotice />
      {message && state !== 'failed' && <p className="hint">{message}</p>}
      {chartsShown ? (
        <Suspense fallback={<p className="hint">Loading the charts…</p>}>
          <Charts />
        </Suspense>
      ) : (
        <p className="hint">Loading the charts…</p>
      )}
    </section>
  );
}
