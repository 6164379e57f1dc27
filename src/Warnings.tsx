import { useStore } from './store';

/** Everything the user should know about: bad URL settings, run failures, collapse warnings. */
export function Warnings() {
  const config = useStore((s) => s.configWarnings);
  const training = useStore((s) => s.trainingWarnings);
  const failed = useStore((s) => (s.runState === 'failed' ? s.runMessage : null));
  if (config.length === 0 && training.length === 0 && !failed) return null;
  return (
    <section className="warnings" data-testid="warnings" role="alert">
      {failed && <p className="error">Training failed: {failed}</p>}
      {config.map((w) => (
        <p key={`${w.key}=${w.value}`}>
          URL setting{' '}
          <code>
            {w.key}={w.value}
          </code>{' '}
          ignored ({w.reason}); using the default.
        </p>
      ))}
      {training.map((w, i) => (
        <p key={i} data-kind={w.kind}>
          <span className="kind">Step {w.step}:</span>
          {w.message}
        </p>
      ))}
    </section>
  );
}
