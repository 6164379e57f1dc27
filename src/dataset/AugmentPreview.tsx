import { useEffect, useRef, useState } from 'react';
import type { AugmentPreview as Preview } from '../../workers/contract/api';
import { FIELDS, KEYS } from '../../workers/contract/config';
import { worker } from '../bridge';
import { useStore } from '../store';
import { errorMessage } from '../../workers/contract/errors';

/** The settings a preview depends on: the Augment group, the crop size and the seed. */
const PREVIEW_KEYS = KEYS.filter((k) => FIELDS[k].group === 'Augment' || k === 'imageSize' || k === 'seed');

function Pixels({ rgba, width, height, label }: { rgba: Uint8ClampedArray; width: number; height: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    ref.current?.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  }, [rgba, width, height]);
  return <canvas ref={ref} width={width} height={height} aria-label={label} />;
}

export function AugmentPreview() {
  const dataset = useStore((s) => s.dataset);
  const config = useStore((s) => s.config);
  const signature = PREVIEW_KEYS.map((k) => config[k]).join('|');
  const [draw, setDraw] = useState(0);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: signature is the trigger: a preview is drawn again when a setting it depends on changes, and then reads the whole config
  useEffect(() => {
    if (!dataset) return;
    let current = true;
    // Debounced: typing a value fires one preview, not one per keystroke.
    const id = setTimeout(() => {
      worker()
        .previewAugment(useStore.getState().config, 8, draw)
        .then(
          (p) => current && (setPreview(p), setError(null)),
          (e) => current && setError(errorMessage(e)),
        );
    }, 150);
    return () => {
      current = false;
      clearTimeout(id);
    };
  }, [dataset, signature, draw]);
  if (!dataset) return null;
  return (
    <div className="augment-preview" data-testid="augment-preview" data-draw={draw} data-items={preview?.items.length ?? 0}>
      <div className="head">
        <strong>Two views</strong>
        <span className="hint">original, view 1, view 2 (the settings under Augment)</span>
        <button data-testid="augment-redraw" onClick={() => setDraw((d) => d + 1)}>
          New views
        </button>
      </div>
      {dataset.grayscale && (
        <p className="hint" data-testid="augment-grayscale">
          Grayscale data: saturation, hue and RandomGrayscale change nothing on gray pixels, so they are off for this dataset.
        </p>
      )}
      {error && <p className="error">{error}</p>}
      {preview && (
        <div className="grid">
          {preview.items.map((it, i) => (
            <figure key={i} data-testid="augment-item">
              <Pixels rgba={it.original} width={preview.width} height={preview.height} label={`${it.label}: original`} />
              <Pixels rgba={it.view1} width={preview.size} height={preview.size} label={`${it.label}: view 1`} />
              <Pixels rgba={it.view2} width={preview.size} height={preview.size} label={`${it.label}: view 2`} />
              <figcaption>{it.label}</figcaption>
            </figure>
          ))}
        </div>
      )}
    </div>
  );
}
