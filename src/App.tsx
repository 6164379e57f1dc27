import { lazy, type ReactNode, Suspense, useEffect } from 'react';
import { BackendBadge } from './backend/BackendBadge';
import { CheckpointPanel, ResumeOffer } from './checkpoint/CheckpointPanel';
import { ConfigPanel } from './config/ConfigPanel';
import { DatasetPanel, usePageDrop } from './dataset/DatasetPanel';
import { whenIdle } from './idle';
import { ModelCard } from './model/ModelCard';
import { TrainPanel } from './train/TrainPanel';
import { PanelBoundary } from './PanelBoundary';
import { Warnings } from './Warnings';

// The panels below the first screen, and the charts (recharts), load after it: the first click
// (a dataset) waits for less script. They are fetched as soon as the page is idle, so they are
// there before anyone scrolls to them.
const later = {
  EvalPanel: () => import('./eval/EvalPanel').then((m) => ({ default: m.EvalPanel })),
  EmbeddingsPanel: () => import('./embed/EmbeddingsPanel').then((m) => ({ default: m.EmbeddingsPanel })),
  InferencePanel: () => import('./infer/InferencePanel').then((m) => ({ default: m.InferencePanel })),
  ComparePanel: () => import('./compare/ComparePanel').then((m) => ({ default: m.ComparePanel })),
  Charts: () => import('./train/Charts'),
};
const EvalPanel = lazy(later.EvalPanel);
const EmbeddingsPanel = lazy(later.EmbeddingsPanel);
const InferencePanel = lazy(later.InferencePanel);
const ComparePanel = lazy(later.ComparePanel);

function usePrefetchLater() {
  useEffect(() => {
    whenIdle(() => Object.values(later).forEach((f) => void f()), 1500, 500);
  }, []);
}

/** A panel whose code is still loading: its heading, so the page does not jump much. */
function Loading({ name }: { name: string }) {
  return (
    <section className="panel" aria-busy="true">
      <h2>{name}</h2>
      <p className="hint">Loading…</p>
    </section>
  );
}

/** A panel imported with import() (`later`): its heading while its code loads. */
function LazyPanel({ name, children }: { name: string; children: ReactNode }) {
  return (
    <PanelBoundary name={name}>
      <Suspense fallback={<Loading name={name} />}>{children}</Suspense>
    </PanelBoundary>
  );
}

export function App() {
  const dropping = usePageDrop();
  usePrefetchLater();
  return (
    <div className={`app ${dropping ? 'dropping' : ''}`}>
      {dropping && <div className="drop-overlay">Drop a folder of images</div>}
      <header>
        <h1>VICReg Studio</h1>
        <p className="tagline">Self-supervised learning in your browser: Variance–Invariance–Covariance Regularization.</p>
        <PanelBoundary name="Backend">
          <BackendBadge />
        </PanelBoundary>
      </header>
      <PanelBoundary name="Warnings">
        <Warnings />
      </PanelBoundary>
      <PanelBoundary name="Resume">
        <ResumeOffer />
      </PanelBoundary>
      <main>
        <div className="left">
          <PanelBoundary name="Dataset">
            <DatasetPanel />
          </PanelBoundary>
          <PanelBoundary name="Settings">
            <ConfigPanel />
          </PanelBoundary>
        </div>
        <div className="right">
          <PanelBoundary name="Model">
            <ModelCard />
          </PanelBoundary>
          <PanelBoundary name="Training">
            <TrainPanel />
          </PanelBoundary>
          <LazyPanel name="Evaluation">
            <EvalPanel />
          </LazyPanel>
          <LazyPanel name="Embeddings">
            <EmbeddingsPanel />
          </LazyPanel>
          <LazyPanel name="Inference">
            <InferencePanel />
          </LazyPanel>
          <PanelBoundary name="Checkpoints">
            <CheckpointPanel />
          </PanelBoundary>
          <LazyPanel name="Compare">
            <ComparePanel />
          </LazyPanel>
        </div>
      </main>
    </div>
  );
}
