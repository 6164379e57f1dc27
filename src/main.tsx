import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { followStoredRuns, startWorker } from './actions';
import { App } from './App';
import { syncConfigWithHash } from './config/hash';
import './styles.css';

syncConfigWithHash();
followStoredRuns();
startWorker();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
