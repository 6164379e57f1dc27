import { useStore } from '../store';

/** The active backend, and for each one skipped on the way, why. */
export function BackendBadge() {
  const backend = useStore((s) => s.backend);
  const status = useStore((s) => s.backendStatus);
  const error = useStore((s) => s.backendError);
  if (status === 'failed') return <div className="badge bad" data-testid="backend-error">No backend: {error}</div>;
  return (
    <div className="backend">
      <span className="label">Backend</span>
      <span className="badge" data-testid="backend">{status === 'selecting' ? 'choosing…' : backend?.active}</span>
      {backend && status === 'ready' && (
        <ul className="attempts" data-testid="backend-attempts">
          {backend.attempts.map((a) => (
            <li key={a.name} className={a.ok ? 'ok' : 'skipped'} title={a.reason}>
              {a.ok ? `${a.name}: test step ${a.ms} ms` : `${a.name} skipped: ${a.reason}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
