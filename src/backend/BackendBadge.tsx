import { useStore } from '../store';
import { evaluating, mapping, runActive } from '../store/selectors';
import { checkKernels, chooseBackend, switchToFastest } from './actions';

const HOW = {
  measured: 'fastest measured',
  cached: 'fastest measured earlier',
  guessed: 'first guess',
  forced: 'as set',
  fallback: 'fallback',
} as const;

/** The active backend (WASM: on how many threads), how it was chosen, each backend's measured speed, and why any was skipped. */
export function BackendBadge() {
  const backend = useStore((s) => s.backend);
  const status = useStore((s) => s.backendStatus);
  const error = useStore((s) => s.backendError);
  const choice = useStore((s) => s.config.backend);
  const running = useStore(runActive);
  const check = useStore((s) => s.kernelCheck);
  const computing = useStore((s) => evaluating(s) || mapping(s));
  if (status === 'failed')
    return (
      <div className="badge bad" data-testid="backend-error">
        No backend: {error}
      </div>
    );
  return (
    <div className="backend">
      <span className="label">Backend</span>
      <span className="badge" data-testid="backend">
        {status === 'selecting' ? 'choosing…' : backend?.active}
      </span>
      {backend?.active === 'wasm' && backend.threads !== undefined && status === 'ready' && (
        <span className="threads" data-testid="backend-threads" data-threads={backend.threads} title={backend.threadsNote}>
          · {backend.threads} {backend.threads === 1 ? 'thread' : 'threads'}
          {backend.threadsNote && ` (${backend.threadsNote})`}
        </span>
      )}
      {backend && status === 'ready' && (
        <>
          <span className="how" data-testid="backend-how">
            {HOW[backend.chosenBy]}
          </span>
          <ul className="attempts" data-testid="backend-attempts">
            {backend.attempts.map((a) => (
              <li key={a.name} className={a.ok ? 'ok' : 'skipped'} title={a.reason} data-name={a.name} data-ms-per-image={a.msPerImage}>
                {!a.ok
                  ? `${a.name} skipped: ${a.reason}`
                  : a.msPerImage !== undefined
                    ? `${a.name}: ${a.msPerImage.toFixed(1)} ms/image`
                    : `${a.name}: test step ${a.ms} ms`}
              </li>
            ))}
          </ul>
          {choice === 'auto' && (
            <button className="small" data-testid="backend-remeasure" disabled={running} onClick={() => void chooseBackend('auto', true)}>
              Re-measure
            </button>
          )}
          <button
            className="small"
            data-testid="kernel-check-run"
            disabled={running || computing || check?.status === 'running'}
            onClick={() => void checkKernels()}
            title="Runs the gradient kernels training uses on this backend and on the CPU reference, and compares them"
          >
            {check?.status === 'running' ? 'Checking kernels…' : 'Check kernels'}
          </button>
          <KernelCheck />
        </>
      )}
      <Timing />
    </div>
  );
}

const ms = (v: number | undefined) => (v === undefined ? '?' : `${v.toFixed(1)} ms/image`);

/** A first visit's timing of the backends, beside the guess the studio runs on meanwhile. */
function Timing() {
  const t = useStore((s) => s.backendTiming);
  const active = useStore((s) => s.backend?.active);
  const running = useStore(runActive);
  if (!t) return null;
  let text: string;
  let offer = false;
  if (t.status === 'timing') {
    const p = t.progress;
    text = `Timing every backend in the background${p ? `: ${p.name} (${p.index + 1} of ${p.total})` : ''}; ${t.guessed} meanwhile.`;
  } else if (t.status === 'paused')
    text = `Timing the backends paused while the run trains; it goes on afterwards. ${t.guessed} meanwhile.`;
  else if (t.status === 'failed') text = `Timing the backends failed (${t.error}); staying on ${t.guessed}.`;
  else if (t.fastest === t.guessed) text = `Measured: ${t.fastest} is the fastest here (${ms(t.times[t.fastest])}); kept.`;
  else if (t.switched)
    text = `Measured: ${t.fastest} is faster (${ms(t.times[t.fastest])} against ${ms(t.times[t.guessed])} on ${t.guessed}); switched to it before any run.`;
  else {
    text = `Measured: ${t.fastest} is faster (${ms(t.times[t.fastest])} against ${ms(t.times[t.guessed])} on ${t.guessed}); the next visit starts on it.`;
    offer = active !== t.fastest;
  }
  return (
    <span className="hint timing" data-testid="backend-timing" data-status={t.status}>
      {text}
      {offer && (
        <button
          className="small"
          data-testid="backend-switch"
          disabled={running}
          title="Switching drops the run and evaluations the worker holds (checkpoints stay)"
          onClick={() => void switchToFastest()}
        >
          Switch now
        </button>
      )}
    </span>
  );
}

/** The verdict of the last kernel check: one line when all agree, the failing cases otherwise. */
function KernelCheck() {
  const check = useStore((s) => s.kernelCheck);
  if (!check || check.status === 'running') return null;
  if (check.status === 'failed')
    return (
      <div className="badge bad" data-testid="kernel-check" data-ok="false">
        Kernel check failed: {check.error}
      </div>
    );
  const r = check.report!;
  const bad = r.cases.filter((c) => !c.ok);
  const worst = Math.max(...r.cases.map((c) => c.error));
  const split = r.split;
  const ok = bad.length === 0 && !split?.differ;
  return (
    <div
      className={`kernel-check ${ok ? 'ok' : 'bad'}`}
      data-testid="kernel-check"
      data-ok={String(ok)}
      data-worst={worst}
      data-split-threads={split?.threads}
      data-split-differ={split?.differ}
    >
      {bad.length === 0
        ? `${r.cases.length} kernel cases on ${r.backend} match the CPU reference (worst relative error ${worst.toExponential(1)}, ${(r.ms / 1000).toFixed(1)} s)`
        : `${bad.length} of ${r.cases.length} kernel cases on ${r.backend} differ from the CPU reference by more than ${r.tolerance}: training there may be wrong. Choose another backend.`}
      {split &&
        (split.differ === 0
          ? `; split over ${split.threads} threads, all ${split.cases} give the same bits as on one thread`
          : `. Split over ${split.threads} threads, ${split.differ} of ${split.cases} cases differ from one thread: set wasmThreads = 1 and report it.`)}
      {bad.length > 0 && (
        <ul>
          {bad.map((c) => (
            <li key={`${c.kernel} ${c.label}`}>
              {c.kernel}, {c.label}: {c.message ?? `relative error ${c.error.toExponential(1)}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
