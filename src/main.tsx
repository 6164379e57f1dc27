import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { followStoredRuns, readGpuLimits, startWorker } from './actions';
import { App } from './App';
import { syncConfigWithHash } from './config/hash';
import './styles.css';

syncConfigWithHash();
followStoredRuns();
startWorker();
void readGpuLimits();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
