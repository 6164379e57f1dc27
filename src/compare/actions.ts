// Which stored runs are compared. Module level, writing the store, as the other actions
// (src/backend/actions.ts).
import { errorMessage } from '../../workers/contract/errors';
import { worker } from '../bridge';
import { showNotice } from '../notices';
import { useStore } from '../store';

/** Ticks a stored run into the comparison (reading its histories), or takes it out. */
export async function toggleCompare(runId: string): Promise<void> {
  const { compare, setCompare } = useStore.getState();
  if (compare.some((h) => h.runId === runId)) {
    setCompare(compare.filter((h) => h.runId !== runId));
    return;
  }
  try {
    const history = await worker().runHistory(runId);
    // Read again after the await: another run may have been ticked or taken out meanwhile.
    setCompare([...useStore.getState().compare.filter((h) => h.runId !== runId), history]);
  } catch (e) {
    showNotice(`Cannot compare that run: ${errorMessage(e)}`);
  }
}
