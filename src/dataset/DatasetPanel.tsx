import { useEffect, useRef, useState } from 'react';
import type { DatasetSummary, DuplicateGroup } from '../../workers/contract/api';
import { worker } from '../bridge';
import { formatBytes, formatDuration, taskEta } from '../format';
import { ProgressBar, useNow } from '../progress';
import { useStore } from '../store';
import { loadingData, runActive } from '../store/selectors';
import { cancelIngest, deleteStoredDataset, dropDuplicates, ingestFiles, loadSampleDataset, openStoredDataset } from './actions';
import { AugmentPreview } from './AugmentPreview';
import { filesFromDrop, filesFromInput } from './folder';

/** Dropping a folder anywhere on the page ingests it. */
export function usePageDrop() {
  const [over, setOver] = useState(false);
  useEffect(() => {
    const busy = () => {
      const s = useStore.getState();
      return loadingData(s) || runActive(s);
    };
    // A drop on a panel that takes images itself (Inference) is that panel's.
    const elsewhere = (e: DragEvent) => e.target instanceof Element && e.target.closest('[data-drop-target]') !== null;
    const onOver = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      if (elsewhere(e)) return setOver(false);
      e.preventDefault();
      setOver(true);
    };
    const onLeave = (e: DragEvent) => e.relatedTarget === null && setOver(false);
    const onDrop = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      setOver(false);
      if (elsewhere(e)) return;
      e.preventDefault();
      if (busy()) return;
      void filesFromDrop(e.dataTransfer.items).then((files) => {
        if (files.length) void ingestFiles(files);
      });
    };
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, []);
  return over;
}

function IngestBar() {
  const p = useStore((s) => s.ingest);
  const now = useNow(500, p !== null);
  if (!p) return null;
  const remaining = taskEta(p, now);
  return (
    <div className="progress" data-testid="ingest-progress">
      <ProgressBar done={p.done} total={p.total} />
      <div className="numbers">
        {/* First in the row: the counts after it change width as they grow, and a button that
            moves under the pointer can miss a click. */}
        <button data-testid="ingest-cancel" onClick={() => void cancelIngest()}>
          Cancel
        </button>
        <span>
          {p.listed !== undefined && p.done === 0 && p.listed < p.total
            ? `reading the folder: ${p.listed} / ${p.total} files`
            : `${p.done} / ${p.total} files`}
        </span>
        <span>{p.accepted} images</span>
        <span>{p.skipped > 0 ? `${p.skipped} skipped` : ''}</span>
        <span>ETA {formatDuration(remaining)}</span>
      </div>
    </div>
  );
}

const THUMBS_PER_TASK = 6;

function Thumbnails({ id }: { id: string }) {
  const ref = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: id is what the worker's thumbnails are of (the dataset and its split); the call reads them worker-side, so the effect names it only to run again when it changes
  useEffect(() => {
    let live = true;
    void worker()
      .thumbnails(24)
      .then(async ({ size, images }) => {
        // Decoded off the page (createImageBitmap) and shown by a bitmap renderer, not a 2D
        // context: 24 2D canvases made a long task of 58-100 ms at the end of an ingest, most of
        // it the page's first 2D context (test/e2e/ingest-longtask.spec.ts). A few a task.
        const bitmaps = await Promise.all(images.map((rgba) => createImageBitmap(new ImageData(new Uint8ClampedArray(rgba), size, size))));
        if (!live || !ref.current) return bitmaps.forEach((b) => b.close());
        ref.current.replaceChildren();
        for (let at = 0; at < bitmaps.length; at += THUMBS_PER_TASK) {
          if (at > 0) await new Promise((r) => setTimeout(r));
          if (!live || !ref.current) return bitmaps.slice(at).forEach((b) => b.close());
          ref.current.append(
            ...bitmaps.slice(at, at + THUMBS_PER_TASK).map((bitmap) => {
              const c = document.createElement('canvas');
              c.width = c.height = size;
              c.getContext('bitmaprenderer')!.transferFromImageBitmap(bitmap);
              return c;
            }),
          );
        }
      });
    return () => {
      live = false;
    };
  }, [id]);
  return <div className="thumbs" ref={ref} data-testid="dataset-thumbnails" />;
}

/** Groups listed before the rest is summed up: each is a line, and a folder can have thousands. */
const SHOWN_GROUPS = 50;

function DuplicateLine({ g }: { g: DuplicateGroup }) {
  const conflict = g.classes.length > 1;
  const files = g.paths.map((p, i) => (
    <span key={p}>
      {i > 0 && ', '}
      <code>{p}</code>
    </span>
  ));
  return (
    <li className={conflict ? 'warning' : 'info'} data-kind={conflict ? 'conflict' : 'copies'}>
      {conflict ? (
        <>
          Label conflict: the same image is filed under {g.classes.map((c) => `class ${c}`).join(' and ')}: {files}
        </>
      ) : (
        <>
          {g.paths.length} identical copies{g.classes.length ? ` in class ${g.classes[0]}` : ''}: {files}
        </>
      )}
    </li>
  );
}

/** Exact copies found at ingest (workers/dataset/duplicates.ts), and the controls that drop them. */
function Duplicates({ groups }: { groups: DuplicateGroup[] }) {
  const busy = useStore((s) => runActive(s) || loadingData(s));
  const conflicts = groups.filter((g) => g.classes.length > 1).length;
  const extra = groups.reduce((n, g) => n + g.paths.length - 1, 0);
  return (
    <details className="duplicates" data-testid="dataset-duplicates" open={groups.length <= 10}>
      <summary>
        {groups.length} group{groups.length === 1 ? '' : 's'} of exact duplicates ({extra} extra cop{extra === 1 ? 'y' : 'ies'})
        {conflicts > 0 && `, ${conflicts} filed under more than one class`}
      </summary>
      <ul>
        {groups.slice(0, SHOWN_GROUPS).map((g) => (
          <DuplicateLine key={g.paths[0]} g={g} />
        ))}
        {groups.length > SHOWN_GROUPS && <li>and {groups.length - SHOWN_GROUPS} more groups</li>}
      </ul>
      <p className="hint">
        Identical once decoded and resized. Copies in one class weigh an image twice; one image under two classes is a label that cannot be
        right for both. Dropping stores the dataset again without them (the stored copy is replaced only once the new one is written).
      </p>
      <div className="dataset-actions">
        <button data-testid="duplicates-keep-first" disabled={busy} onClick={() => void dropDuplicates('keep-first')}>
          Drop copies, keep the first of each
        </button>
        {conflicts > 0 && (
          <button data-testid="duplicates-drop-conflicts" disabled={busy} onClick={() => void dropDuplicates('drop-all')}>
            Drop copies, and every copy of a conflict
          </button>
        )}
      </div>
      {conflicts > 0 && (
        <p className="hint">
          “Keep the first” keeps a conflicting image under the class of its first path listed; “every copy of a conflict” removes it from
          all its classes, as its label is unknown.
        </p>
      )}
    </details>
  );
}

function Summary({ d }: { d: DatasetSummary }) {
  const batchSize = useStore((s) => s.config.batchSize);
  const r = d.sizeRange;
  return (
    <div data-testid="dataset-summary" className="summary">
      <p>
        <strong>{d.name}</strong>: {d.count} images{d.unlabeled ? ', unlabeled' : `, ${d.classes.length} classes`}, stored at {d.width}×
        {d.height} px
        {r && (
          <>
            {' '}
            (originals {r.minWidth}×{r.minHeight} to {r.maxWidth}×{r.maxHeight})
          </>
        )}
        .{' '}
        {d.unlabeled ? (
          <>All {d.trainCount} train.</>
        ) : (
          <>
            Split: {d.trainCount} train / {d.testCount} test.
          </>
        )}
      </p>
      {d.unlabeled && (
        <p className="hint" data-testid="dataset-unlabeled">
          {d.source}
        </p>
      )}
      {d.trainCount < batchSize && (
        <p className="error" data-testid="dataset-too-small">
          {d.trainCount} training images are fewer than one batch of {batchSize}: set batchSize to at most {d.trainCount}, or add images.
        </p>
      )}
      {!d.unlabeled && (
        <ul className="classes">
          {d.classes.map((c) => (
            <li key={c.name}>
              {c.name} <span className="count">{c.count}</span>
            </li>
          ))}
        </ul>
      )}
      <Thumbnails id={`${d.id}:${d.trainCount}`} />
      {d.skipped.length > 0 && (
        <details className="skipped" data-testid="dataset-skipped" open={d.skipped.length <= 10}>
          <summary>
            {d.skipped.length} file{d.skipped.length === 1 ? '' : 's'} skipped
          </summary>
          <ul>
            {d.skipped.map((s) => (
              <li key={s.path}>
                <code>{s.path}</code>: {s.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {d.duplicates && d.duplicates.length > 0 && <Duplicates groups={d.duplicates} />}
      {d.notStored && <p className="error">Not kept for the next visit: {d.notStored}.</p>}
      {!d.unlabeled && <p className="source">{d.source}</p>}
    </div>
  );
}

function StoredList() {
  const list = useStore((s) => s.storedDatasets);
  const current = useStore((s) => s.dataset?.id);
  if (list.length === 0) return null;
  return (
    <div className="stored" data-testid="stored-datasets">
      <strong>Stored in this browser</strong>
      <ul>
        {list.map((d) => (
          <li key={d.id} data-testid="stored-dataset">
            {d.damaged ? (
              <span className="error">
                {d.name}: {d.damaged}
              </span>
            ) : (
              <span>
                {d.name} · {d.count} images · {d.size} px · {formatBytes(d.bytes)}
              </span>
            )}
            {!d.damaged && (
              <button onClick={() => void openStoredDataset(d.id)} disabled={d.id === current}>
                {d.id === current ? 'Open' : 'Use'}
              </button>
            )}
            <button onClick={() => void deleteStoredDataset(d.id)} aria-label={`delete ${d.name}`}>
              Delete
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function DatasetPanel() {
  const dataset = useStore((s) => s.dataset);
  const status = useStore((s) => s.datasetStatus);
  const error = useStore((s) => s.datasetError);
  // Not the backend: data loads while it is measured (only computing waits for it).
  const busy = useStore((s) => runActive(s) || loadingData(s));
  return (
    <section className="panel">
      <h2>Dataset</h2>
      <div className="dataset-actions">
        <label className={`button ${busy ? 'disabled' : ''}`}>
          Choose a folder…
          <input
            data-testid="folder-input"
            type="file"
            multiple
            disabled={busy}
            {...{ webkitdirectory: '' }}
            onChange={(e) => {
              // Copied before the input is cleared; read and handed over in batches (./actions.ts).
              const files = e.target.files ? filesFromInput(e.target.files) : [];
              e.target.value = '';
              if (files.length) void ingestFiles(files);
            }}
          />
        </label>
        <button data-testid="sample-dataset" disabled={busy} onClick={() => void loadSampleDataset()}>
          {status === 'loading' ? 'Loading…' : 'Sample (Fashion-MNIST, 2,000)'}
        </button>
      </div>
      <p className="hint">Or drop a folder anywhere on the page: one subfolder per class, or no subfolders for unlabeled images.</p>
      {status === 'ingesting' && <IngestBar />}
      {error && (
        <p className="error" data-testid="dataset-error">
          {error}
        </p>
      )}
      {dataset && <Summary d={dataset} />}
      <StoredList />
      <AugmentPreview />
    </section>
  );
}
