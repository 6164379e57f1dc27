import { BackendBadge } from './backend/BackendBadge';
import { ConfigPanel } from './config/ConfigPanel';
import { DatasetPanel } from './dataset/DatasetPanel';
import { TrainPanel } from './train/TrainPanel';
import { Warnings } from './Warnings';

export function App() {
  return (
    <div className="app">
      <header>
        <h1>VICReg Studio</h1>
        <p className="tagline">Self-supervised learning in your browser: Variance–Invariance–Covariance Regularization.</p>
        <BackendBadge />
      </header>
      <Warnings />
      <main>
        <div className="left">
          <DatasetPanel />
          <ConfigPanel />
        </div>
        <TrainPanel />
      </main>
    </div>
  );
}
