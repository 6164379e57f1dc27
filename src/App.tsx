import { BackendBadge } from './backend/BackendBadge';
import { CheckpointPanel, ResumeOffer } from './checkpoint/CheckpointPanel';
import { ConfigPanel } from './config/ConfigPanel';
import { DatasetPanel, usePageDrop } from './dataset/DatasetPanel';
import { EvalPanel } from './eval/EvalPanel';
import { ModelCard } from './model/ModelCard';
import { TrainPanel } from './train/TrainPanel';
import { Warnings } from './Warnings';

export function App() {
  const dropping = usePageDrop();
  return (
    <div className={`app ${dropping ? 'dropping' : ''}`}>
      {dropping && <div className="drop-overlay">Drop a folder of images</div>}
      <header>
        <h1>VICReg Studio</h1>
        <p className="tagline">Self-supervised learning in your browser: Variance–Invariance–Covariance Regularization.</p>
        <BackendBadge />
      </header>
      <Warnings />
      <ResumeOffer />
      <main>
        <div className="left">
          <DatasetPanel />
          <ConfigPanel />
        </div>
        <div className="right">
          <ModelCard />
          <TrainPanel />
          <EvalPanel />
          <CheckpointPanel />
        </div>
      </main>
    </div>
  );
}
