// Which stored runs are compared. Module level, writing the store, as the other actions
// (src/backend/actions.ts).
import { errorMessage } from '../../workers/contract/errors';
import { worker } from '../bridge';
import { showCheckpointNotice } from '../checkpoint/actions';
import { useStore } from '../store';

/** Ticks a stored run into the comparison (reading its histories), or takes it out. */
export async function toggleCompare(runId: string): Promise<void> {
  const { compare, setCheckpoints } = useStore.getState();
  if (compare.some((h) => h.runId === runId)) {
    setCheckpoints({ compare: compare.filter((h) => h.runId !== runId) });
    return;
  }
  try {
    const history = await worker().runHistory(runId);
    // Read again after the await: another run may have been ticked or taken out meanwhile.
    setCheckpoints({ compare: [...useStore.getState().compare.filter((h) => h.runId !== runId), history] });
  } catch (e) {
    showCheckpointNotice(`Cannot compare that run: ${errorMessage(e)}`);
  }
}
