// Checkpoints kept in this browser: every run's saved steps with their metrics, and what can be
// done with each (resume, evaluate, export, delete); storage use; importing a checkpoint file.
import type { CheckpointInfo, DamagedRun, RunRecord } from '../../workers/contract/api';
import { toggleCompare } from '../compare/actions';
import { evaluateCheckpoint } from '../eval/actions';
import { featuresLabel, formatBytes, top1WithInterval } from '../format';
import { useStore } from '../store';
import { backendReady, mayOfferResume, runActive, runTraining } from '../store/selectors';
import { resumeRun } from '../train/actions';
import { deleteCheckpoint, type ExportKind, exportRun, importCheckpointFile, requestPersistence, saveCheckpointNow } from './actions';

/** Why a computing action (Resume, Evaluate, the TF.js exports) is off before the backend is chosen. */
const WAITS_FOR_BACKEND = 'Waits for the backend to be chosen';
// One formatter for every row: toLocaleString builds a new one at each call, and the list is drawn
// again at every checkpoint while a run trains.
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const formatTime = (ms: number) => TIME_FORMAT.format(ms);

/** A checkpoint's exports, in their buttons' order; those that run the model in TF.js (`computes`)
 *  wait for the backend, the others only read what is stored. */
const EXPORTS: { kind: ExportKind; label: string; title: string; computes: boolean }[] = [
  { kind: 'weights', label: 'Export', title: 'Encoder and projector in TF.js layers format, config, metrics, README', computes: true },
  {
    kind: 'checkpoint',
    label: 'Checkpoint file',
    title: 'The full checkpoint, to import here or in another browser and resume',
    computes: false,
  },
  {
    kind: 'pytorch',
    label: 'PyTorch',
    title: 'model.safetensors, optimizer.safetensors and train_vicreg.py: continue this run in PyTorch, on one GPU or many (torchrun)',
    computes: false,
  },
  { kind: 'embeddings', label: 'Embeddings', title: 'path, split, class and features of every image, as CSV', computes: true },
];

function Storage() {
  const storage = useStore((s) => s.storage);
  if (!storage) return null;
  const share = storage.quota ? storage.usage / storage.quota : 0;
  return (
    <p className="hint storage" data-testid="storage">
      Browser storage: {formatBytes(storage.usage)} of {formatBytes(storage.quota)} ({(100 * share).toFixed(share < 0.01 ? 2 : 0)}%)
      {storage.persisted ? (
        ' · persistent'
      ) : (
        <>
          {' '}
          · may be cleared under storage pressure{' '}
          <button className="link" onClick={() => void requestPersistence()}>
            Keep it
          </button>
        </>
      )}
    </p>
  );
}

function CheckpointRow({ run, c, latest }: { run: RunRecord; c: CheckpointInfo; latest: boolean }) {
  const busy = useStore((s) => runActive(s) || s.exporting !== null);
  const elsewhere = useStore((s) => s.openElsewhere.includes(run.runId));
  // Resume, Evaluate and the TF.js exports compute: they wait for the backend.
  const noBackend = !useStore(backendReady);
  const waiting = noBackend ? WAITS_FOR_BACKEND : undefined;
  return (
    <tr data-testid="checkpoint" data-step={c.step}>
      <td className="num">{c.step}</td>
      <td>{formatTime(c.createdAt)}</td>
      <td className="num">{formatBytes(c.bytes)}</td>
      <td className="num" title="loss at that step">
        {c.last ? c.last.loss.toFixed(3) : '–'}
      </td>
      <td className="results-cell" data-testid="checkpoint-results">
        {(['knn', 'probe'] as const).map((k) => {
          const r = c.results?.[k];
          if (!r) return null;
          const f = (v: number | undefined) => (v === undefined ? '–' : (100 * v).toFixed(1));
          return (
            <span
              key={k}
              title={`top-1 on the test split${r.testCount ? ` of ${r.testCount} images, with its 95% interval` : ''} (${featuresLabel(r)} features): trained / random init / raw pixels`}
            >
              {k === 'knn' ? 'k-NN' : 'probe'} {top1WithInterval(r.top1.trained, r.testCount)}{' '}
              <span className="hint">
                ({f(r.top1['random init'])} / {f(r.top1['raw pixels'])})
              </span>
            </span>
          );
        })}
      </td>
      <td className="hint">
        {c.reason}
        {c.writeMs !== undefined ? ` · read ${c.readMs!.toFixed(0)} ms · write ${c.writeMs.toFixed(0)} ms` : ''}
      </td>
      <td className="actions">
        {!run.finished && (
          <button
            data-testid="checkpoint-resume"
            disabled={busy || elsewhere || noBackend}
            title={
              waiting ??
              (elsewhere ? 'This run is training in another tab' : latest ? 'Continue training from here' : 'Continue from this older step')
            }
            onClick={() => void resumeRun(run, c.step)}
          >
            Resume
          </button>
        )}
        <button
          data-testid="checkpoint-evaluate"
          disabled={busy || noBackend}
          title={waiting}
          onClick={() => void evaluateCheckpoint(run.runId, c.step)}
        >
          Evaluate
        </button>
        {EXPORTS.map((x) => (
          <button
            key={x.kind}
            data-testid={`export-${x.kind}`}
            disabled={busy || (x.computes && noBackend)}
            title={(x.computes ? waiting : undefined) ?? x.title}
            onClick={() => void exportRun(x.kind, run.runId, c.step)}
          >
            {x.label}
          </button>
        ))}
        <button
          data-testid="checkpoint-delete"
          disabled={elsewhere || (busy && run.runId === useStore.getState().currentRunId)}
          onClick={() => void deleteCheckpoint(run.runId, c.step)}
        >
          Delete
        </button>
      </td>
    </tr>
  );
}

function Run({ run }: { run: RunRecord }) {
  const compared = useStore((s) => s.compare.some((h) => h.runId === run.runId));
  // Not while 'preparing': currentRunId still names the previous run until the worker reports the new one.
  const current = useStore((s) => s.currentRunId === run.runId && runTraining(s));
  const elsewhere = useStore((s) => s.openElsewhere.includes(run.runId));
  const latest = run.checkpoints[run.checkpoints.length - 1];
  return (
    <li className="run" data-testid="checkpoint-run" data-run={run.runId}>
      <div className="run-head">
        <strong>{run.name}</strong>
        <span className="hint">
          {run.dataset.name} · step {latest.step} of {run.totalSteps} ·{' '}
          {run.finished ? (
            'finished'
          ) : current ? (
            'training now'
          ) : elsewhere ? (
            <span data-testid="run-elsewhere">training in another tab</span>
          ) : (
            'unfinished'
          )}
        </span>
        <label className="compare-toggle" title="Overlay this run's curves with the other ticked runs (Compare runs)">
          <input type="checkbox" data-testid="compare-toggle" checked={compared} onChange={() => void toggleCompare(run.runId)} /> compare
        </label>
        <button className="link" onClick={() => void deleteCheckpoint(run.runId)} disabled={current || elsewhere}>
          Delete run
        </button>
      </div>
      <table className="checkpoints">
        <thead>
          <tr>
            <th>Step</th>
            <th>Saved</th>
            <th>Size</th>
            <th>Loss</th>
            <th title="top-1: trained (random init / raw pixels)">Accuracy</th>
            <th>Why</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {[...run.checkpoints].reverse().map((c) => (
            <CheckpointRow key={c.key} run={run} c={c} latest={c === latest} />
          ))}
        </tbody>
      </table>
    </li>
  );
}

/** A stored run whose record fails its schema: what is wrong, and Delete. */
function DamagedRunRow({ run }: { run: DamagedRun }) {
  return (
    <li className="run damaged" data-testid="damaged-run" data-run={run.runId}>
      <div className="run-head">
        <strong>{run.runId}</strong>
        <span className="error">damaged: {run.reason}</span>
        <button className="link" data-testid="damaged-run-delete" onClick={() => void deleteCheckpoint(run.runId)}>
          Delete run
        </button>
      </div>
    </li>
  );
}

export function CheckpointPanel() {
  const runs = useStore((s) => s.runs);
  const damaged = useStore((s) => s.damagedRuns);
  const notice = useStore((s) => s.checkpointNotice);
  const exporting = useStore((s) => s.exporting);
  // A checkpoint is of a run that has stepped: not while 'preparing'.
  const active = useStore(runTraining);
  const every = useStore((s) => s.config.checkpointEvery);
  return (
    <section className="panel checkpoints-panel" id="checkpoints">
      <h2>Checkpoints</h2>
      <div className="controls">
        <button data-testid="save-checkpoint" disabled={!active} onClick={() => void saveCheckpointNow()}>
          Save now
        </button>
        <label
          className="button secondary"
          title="A VICReg Studio checkpoint (.vicreg.zip), or PyTorch weights (.safetensors: from train_vicreg.py, or a torchvision / timm backbone)"
        >
          Import checkpoint…
          <input
            data-testid="import-checkpoint"
            type="file"
            accept=".zip,application/zip,.safetensors"
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (f) void importCheckpointFile(f);
            }}
          />
        </label>
        <span className="hint">Saved every {every} steps, at each epoch end and on Stop.</span>
      </div>
      <Storage />
      {notice && (
        <p className={notice.error ? 'error' : 'hint'} data-testid="checkpoint-notice" role={notice.error ? 'alert' : undefined}>
          {notice.text}
        </p>
      )}
      {exporting && (
        <p className="hint" data-testid="exporting">
          Preparing {exporting.what}
          {exporting.total ? `: ${exporting.done} / ${exporting.total} images` : '…'}
        </p>
      )}
      {runs.length === 0 && damaged.length === 0 ? (
        <p className="hint" data-testid="checkpoint-list">
          No checkpoints yet: they appear here as soon as a run is trained.
        </p>
      ) : (
        <ul className="runs" data-testid="checkpoint-list">
          {runs.map((r) => (
            <Run key={r.runId} run={r} />
          ))}
          {damaged.map((r) => (
            <DamagedRunRow key={r.runId} run={r} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** Shown once on load when the newest stored run did not finish (a reload or a crash mid-run). */
export function ResumeOffer() {
  const offer = useStore((s) => s.resumeOffer);
  const noBackend = !useStore(backendReady);
  const shown = useStore(mayOfferResume);
  if (!offer || !shown) return null;
  const last = offer.checkpoints[offer.checkpoints.length - 1];
  return (
    <section className="resume-offer" data-testid="resume-offer" role="status">
      <span>
        Run <strong>{offer.name}</strong> stopped at step {last.step} of {offer.totalSteps} (saved {formatTime(last.createdAt)}). Resume it
        from there?
      </span>
      <button
        className="primary"
        data-testid="resume-offer-accept"
        disabled={noBackend}
        title={noBackend ? WAITS_FOR_BACKEND : undefined}
        onClick={() => void resumeRun(offer)}
      >
        Resume
      </button>
      <button onClick={() => useStore.getState().setCheckpoints({ resumeOffer: null })}>Not now</button>
    </section>
  );
}
