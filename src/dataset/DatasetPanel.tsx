import { loadSampleDataset } from '../actions';
import { useStore } from '../store';
import { AugmentPreview } from './AugmentPreview';

export function DatasetPanel() {
  const dataset = useStore((s) => s.dataset);
  const status = useStore((s) => s.datasetStatus);
  const error = useStore((s) => s.datasetError);
  const backendReady = useStore((s) => s.backendStatus === 'ready');
  const running = useStore((s) => s.runState === 'running' || s.runState === 'paused' || s.runState === 'preparing');
  return (
    <section className="panel">
      <h2>Dataset</h2>
      <button data-testid="sample-dataset" disabled={!backendReady || running || status === 'loading'} onClick={() => void loadSampleDataset()}>
        {status === 'loading' ? 'Loading…' : 'Use the sample dataset (Fashion-MNIST, 2,000 images)'}
      </button>
      {error && <p className="error">{error}</p>}
      {dataset && (
        <div data-testid="dataset-summary" className="summary">
          <p>
            <strong>{dataset.name}</strong>: {dataset.count} images, {dataset.width}×{dataset.height} px, {dataset.classes.length} classes.
            Split: {dataset.trainCount} train / {dataset.testCount} test.
          </p>
          <ul className="classes">
            {dataset.classes.map((c) => (
              <li key={c.name}>{c.name} <span className="count">{c.count}</span></li>
            ))}
          </ul>
          <p className="source">{dataset.source}</p>
        </div>
      )}
      <AugmentPreview />
    </section>
  );
}
