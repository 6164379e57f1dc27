// What the model card says of the configured network on the active backend: its estimate, and
// where that estimate passes a backend limit. The card shows it; Train stays off while a limit is
// passed (src/train/TrainPanel.tsx). Pure arithmetic (workers/model/card.ts) over the store.
import { useMemo } from 'react';
import {
  cardWarnings,
  modelCard,
  usesRecompute,
  WASM_HEAP_LIMIT,
  type BackendLimits,
  type CardWarning,
  type ModelCard,
} from '../../workers/model/card';
import { useStore } from '../store';

/** `recompute`: whether a run would recompute (usesRecompute), as the trainer decides it. */
export function useModelVerdict(): { card: ModelCard | null; warnings: CardWarning[]; recompute: boolean } {
  const config = useStore((s) => s.config);
  const active = useStore((s) => s.backend?.active);
  const gpu = useStore((s) => s.gpuLimits);
  return useMemo(() => {
    let card: ModelCard | null;
    try {
      card = modelCard(config);
    } catch {
      return { card: null, warnings: [], recompute: false }; // e.g. a ViT patch larger than the image: the config panel says why
    }
    const limits: BackendLimits | null =
      active === 'webgpu' && gpu
        ? { backend: 'WebGPU', maxTotal: null, ...gpu }
        : active === 'wasm'
          ? { backend: 'WASM', maxBufferSize: null, maxStorageBufferBindingSize: null, maxTotal: WASM_HEAP_LIMIT }
          : null;
    return {
      card,
      warnings: limits ? cardWarnings(card, config, limits) : [],
      recompute: usesRecompute(card, config.recompute, limits?.maxTotal ?? null),
    };
  }, [config, active, gpu]);
}
