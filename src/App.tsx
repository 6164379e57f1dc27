import { BackendBadge } from './backend/BackendBadge';
import { CheckpointPanel, ResumeOffer } from './checkpoint/CheckpointPanel';
import { ComparePanel } from './compare/ComparePanel';
import { ConfigPanel } from './config/ConfigPanel';
import { DatasetPanel, usePageDrop } from './dataset/DatasetPanel';
import { EmbeddingsPanel } from './embed/EmbeddingsPanel';
import { EvalPanel } from './eval/EvalPanel';
import { InferencePanel } from './infer/InferencePanel';
import { ModelCard } from './model/ModelCard';
import { TrainPanel } from './train/TrainPanel';
import { PanelBoundary } from './PanelBoundary';
import { Warnings } from './Warnings';

export function App() {
  const dropping = usePageDrop();
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
          <PanelBoundary name="Evaluation">
            <EvalPanel />
          </PanelBoundary>
          <PanelBoundary name="Embeddings">
            <EmbeddingsPanel />
          </PanelBoundary>
          <PanelBoundary name="Inference">
            <InferencePanel />
          </PanelBoundary>
          <PanelBoundary name="Checkpoints">
            <CheckpointPanel />
          </PanelBoundary>
          <PanelBoundary name="Compare">
            <ComparePanel />
          </PanelBoundary>
        </div>
      </main>
    </div>
  );
}
