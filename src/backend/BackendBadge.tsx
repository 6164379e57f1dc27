import { chooseBackend } from '../actions';
import { useStore } from '../store';

const HOW = { measured: 'fastest measured', cached: 'fastest measured earlier', forced: 'as set', fallback: 'fallback' } as const;

/** The active backend (WASM: on how many threads), how it was chosen, each backend's measured speed, and why any was skipped. */
export function BackendBadge() {
  const backend = useStore((s) => s.backend);
  const status = useStore((s) => s.backendStatus);
  const error = useStore((s) => s.backendError);
  const choice = useStore((s) => s.config.backend);
  const running = useStore((s) => ['preparing', 'running', 'paused'].includes(s.runState));
  if (status === 'failed') return <div className="badge bad" data-testid="backend-error">No backend: {error}</div>;
  return (
    <div className="backend">
      <span className="label">Backend</span>
      <span className="badge" data-testid="backend">{status === 'selecting' ? 'choosing…' : backend?.active}</span>
      {backend?.active === 'wasm' && backend.threads !== undefined && status === 'ready' && (
        <span className="threads" data-testid="backend-threads" data-threads={backend.threads} title={backend.threadsNote}>
          · {backend.threads} {backend.threads === 1 ? 'thread' : 'threads'}
          {backend.threadsNote && ` (${backend.threadsNote})`}
        </span>
      )}
      {backend && status === 'ready' && (
        <>
          <span className="how" data-testid="backend-how">{HOW[backend.chosenBy]}</span>
          <ul className="attempts" data-testid="backend-attempts">
            {backend.attempts.map((a) => (
              <li key={a.name} className={a.ok ? 'ok' : 'skipped'} title={a.reason} data-name={a.name} data-ms-per-image={a.msPerImage}>
                {!a.ok ? `${a.name} skipped: ${a.reason}` : a.msPerImage !== undefined ? `${a.name}: ${a.msPerImage.toFixed(1)} ms/image` : `${a.name}: test step ${a.ms} ms`}
              </li>
            ))}
          </ul>
          {choice === 'auto' && (
            <button className="small" data-testid="backend-remeasure" disabled={running} onClick={() => void chooseBackend('auto', true)}>Re-measure</button>
          )}
        </>
      )}
    </div>
  );
}
