// Inference: new images (chosen, any number up to the limit, any size) classified by the weights
// being evaluated: the k-NN vote's top classes and the nearest training images, as the gallery
// shows them. Bad files get a reason, as in ingest.
import { useState } from 'react';
import type { InferenceResult } from '../../workers/contract/api';
import { errorMessage } from '../../workers/contract/errors';
import { Thumb } from '../eval/Thumb';
import { useStore } from '../store';
import { evaluationBlocked } from '../store/selectors';
import { inferImages } from './actions';

export function InferencePanel() {
  const reason = useStore(evaluationBlocked);
  const [result, setResult] = useState<InferenceResult | null>(null);
  const [busy, setBusy] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (files: File[]) => {
    setError(null);
    setBusy({ done: 0, total: 0 });
    try {
      setResult(await inferImages(files, (done, total) => setBusy({ done, total })));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: dropping files is the pointer's shortcut to the file input inside, which the keyboard reaches; a drop has no keyboard form to give the section
    <section
      className="panel inference"
      data-testid="inference-panel"
      data-drop-target=""
      onDragOver={(e) => {
        if (!reason && !busy && e.dataTransfer.types.includes('Files')) e.preventDefault();
      }}
      onDrop={(e) => {
        e.preventDefault();
        const files = [...e.dataTransfer.files];
        if (!reason && !busy && files.length) void run(files);
      }}
    >
      <h2>Inference</h2>
      <div className="controls">
        <label className={`button secondary ${reason || busy ? 'disabled' : ''}`}>
          Classify images…
          <input
            data-testid="infer-input"
            type="file"
            multiple
            accept="image/*"
            disabled={!!reason || !!busy}
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])];
              e.currentTarget.value = '';
              if (files.length) void run(files);
            }}
          />
        </label>
        <span className="hint">
          {reason ??
            "Choose or drop images here: each gets the classes of its most similar training images (the k-NN vote), the linear probe's once one was trained, and its nearest neighbours."}
        </span>
      </div>
      {busy && (
        <p className="hint" data-testid="infer-progress">
          Embedding{busy.total ? ` the training split: ${busy.done} / ${busy.total} images` : '…'}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          Inference failed: {error}
        </p>
      )}
      {result && (
        <div data-testid="infer-results">
          <p className="hint">
            Weights at step {result.step}
            {result.snapshot ? ' (a snapshot of the run in progress)' : ''}; {result.k} neighbours vote.
          </p>
          <ul className="infer-items">
            {result.items.map((it, i) => (
              <li key={i} data-testid="infer-item">
                <figure>
                  <Thumb rgba={it.thumb} size={result.thumbSize ?? 32} scale={3} alt={it.name} />
                  <figcaption>{it.name}</figcaption>
                </figure>
                <div>
                  <ol className="infer-classes" data-testid="infer-classes" aria-label="k-NN vote">
                    {it.classes.map((c) => (
                      <li key={c.label}>
                        <strong>{result.classes[c.label]}</strong> {(100 * c.p).toFixed(0)}%
                      </li>
                    ))}
                  </ol>
                  {it.probe && (
                    <p className="hint" data-testid="infer-probe">
                      linear probe: {it.probe.map((c) => `${result.classes[c.label]} ${(100 * c.p).toFixed(0)}%`).join(', ')}
                    </p>
                  )}
                </div>
                <div className="infer-neighbours" data-testid="infer-neighbours">
                  {it.neighbours.map((n) => (
                    <figure key={n.index} title={`${result.classes[n.label]}, cosine similarity ${n.similarity.toFixed(3)}`}>
                      <Thumb rgba={n.thumb} size={result.thumbSize ?? 32} alt={`training image of ${result.classes[n.label]}`} />
                      <figcaption>{n.similarity.toFixed(2)}</figcaption>
                    </figure>
                  ))}
                </div>
              </li>
            ))}
          </ul>
          {result.skipped.length > 0 && (
            <ul className="skipped" data-testid="infer-skipped">
              {result.skipped.map((s) => (
                <li key={s.path}>
                  <strong>{s.path}</strong>: {s.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
