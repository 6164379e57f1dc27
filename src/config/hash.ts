// The run configuration lives in the URL hash, so a run is a shareable link: read once at start,
// written back (only the fields that differ from the defaults) whenever the config changes.
import { configFromHash, configToHash } from '../../workers/contract/url';
import { useStore } from '../store';

export function syncConfigWithHash(): () => void {
  const { config, warnings } = configFromHash(location.hash);
  useStore.getState().loadConfig(config, warnings);
  return useStore.subscribe((s, prev) => {
    if (s.config === prev.config) return;
    const hash = configToHash(s.config);
    history.replaceState(null, '', hash || location.pathname + location.search);
  });
}
