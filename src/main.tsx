import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { chooseBackend, followStoredRuns, offerResume, restoreLastDataset } from './actions';
import { App } from './App';
import { syncConfigWithHash } from './config/hash';
import { useStore } from './store';
import './styles.css';

syncConfigWithHash();
followStoredRuns();
void chooseBackend(useStore.getState().config.backend).then(restoreLastDataset).then(offerResume);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
