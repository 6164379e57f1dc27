import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { readGpuLimits } from './backend/actions';
import { followStoredRuns } from './checkpoint/actions';
import { syncConfigWithHash } from './config/hash';
import './styles.css';
import { startWorker } from './worker-events';

syncConfigWithHash();
followStoredRuns();
startWorker();
void readGpuLimits();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
