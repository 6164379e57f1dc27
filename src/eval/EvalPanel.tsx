import { runKnn } from '../actions';
import { useStore, type Store } from '../store';
import { eta, formatDuration } from '../train/format';

const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);

/** Why k-NN cannot run now, or null when it can. */
function blocked(s: Store): string | null {
  if (!s.dataset) return 'Load a dataset first.';
  if (s.dataset.unlabeled) return 'k-NN needs class subfolders: this dataset is unlabeled.';
  if (s.dataset.classes.length < 2) return 'k-NN needs at least two classes.';
  if (s.dataset.testCount === 0) return 'The test split is empty: raise testFraction.';
  if (['preparing', 'running', 'paused'].includes(s.runState)) return 'k-NN evaluates the weights of a finished or stopped run: stop training first.';
  if (!['done', 'stopped'].includes(s.runState)) return 'Train first: there are no trained weights yet.';
  return null;
}

export function EvalPanel() {
  const reason = useStore(blocked);
  const status = useStore((s) => s.knnStatus);
  const progress = useStore((s) => s.knnProgress);
  const report = useStore((s) => s.knnReport);
  const error = useStore((s) => s.knnError);
  const remaining = progress ? eta({ ms: progress.startedMs, step: 0 }, progress.done, progress.total, performance.now()) : null;
  return (
    <section className="panel eval">
      <h2>Evaluate</h2>
      <div className="controls">
        <button data-testid="knn-run" className="primary" disabled={reason !== null || status === 'running'} onClick={() => void runKnn()}>k-NN</button>
        {reason && <span className="hint" data-testid="eval-blocked">{reason}</span>}
      </div>
      {progress && (
        <div className="progress" data-testid="knn-progress">
          <div className="bar"><div style={{ width: `${(100 * progress.done) / progress.total}%` }} /></div>
          <div className="numbers"><span>embedding {progress.done} / {progress.total} images</span><span>ETA {remaining === null ? '–' : formatDuration(remaining)}</span></div>
        </div>
      )}
      {error && <p className="error">{error}</p>}
      {report && (
        <table className="results" data-testid="knn-accuracy">
          <caption>
            Weighted k-NN (k = {report.k}, T = {report.temperature}) on {report.testCount} test images against {report.trainCount} training images;
            features: {report.featLayer === 'pool' ? 'backbone' : 'projector'}, weights of step {report.step}
          </caption>
          <thead><tr><th>Features</th><th>dim</th><th>top-1</th><th>top-5</th></tr></thead>
          <tbody>
            {report.rows.map((r) => (
              <tr key={r.name} data-row={r.name} data-top1={r.top1}>
                <td>{r.name === 'trained' ? 'VICReg (this run)' : r.name}</td><td>{r.dim}</td><td>{pct(r.top1)}</td><td>{pct(r.top5)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
