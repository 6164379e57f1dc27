// The model card: what the configured network costs before Train is pressed. All numbers come from
// workers/model/card.ts (pure arithmetic, no TF.js); the epoch time scales the backend probe's
// measured ms per image by the FLOPs ratio of this model to the probe's.
import { epochSeconds, modelCard, probeConfig } from '../../workers/model/card';
import { formatDuration, formatMemory } from '../format';
import { useStore } from '../store';
import { useModelVerdict } from './verdict';

/** 1234567 -> "1.23 M" */
function si(n: number, unit = ''): string {
  const [v, p] = n >= 1e9 ? [n / 1e9, 'G'] : n >= 1e6 ? [n / 1e6, 'M'] : n >= 1e3 ? [n / 1e3, 'k'] : [n, ''];
  return `${v.toFixed(v >= 100 || p === '' ? 0 : 2)} ${p}${unit}`;
}

export function ModelCard() {
  const config = useStore((s) => s.config);
  const backend = useStore((s) => s.backend);
  const probe = useStore((s) => s.backendSpec);
  const trainCount = useStore((s) => s.dataset?.trainCount ?? null);
  const { card, warnings, recompute } = useModelVerdict();
  if (!card) return null;

  const active = backend?.active;
  const msPerImage = backend?.attempts.find((a) => a.name === active)?.msPerImage;
  const images = trainCount ?? 1000;
  // auto's probe times the run's architecture (as it was when measured) at up to 64 px.
  const probeFlops = probe ? modelCard(probeConfig(probe, 1)).flops.total : null;
  const epoch = msPerImage !== undefined && probeFlops ? epochSeconds(msPerImage, probeFlops, card.flops.total, images) : null;

  return (
    <section className="panel model-card" data-testid="model-card">
      <h2>Model card</h2>
      <dl>
        <dt>Parameters</dt>
        <dd data-testid="model-params" data-backbone={card.params.backbone} data-projector={card.params.projector}>
          {si(card.params.total)} ({si(card.params.backbone)} backbone, {si(card.params.projector)} projector; features {card.featureDim})
        </dd>
        <dt>Forward FLOPs / image</dt>
        <dd data-testid="model-flops" data-flops={card.flops.total} title="2 × multiply-adds of convs, dense layers and attention matmuls">
          {si(card.flops.total, 'FLOP')}
        </dd>
        <dt>Training memory at batch {config.batchSize}</dt>
        <dd
          data-testid="model-memory"
          data-bytes={card.memory.total}
          title="weights, gradients, optimizer state and both views' activations through TF.js's backward pass"
        >
          {formatMemory(card.memory.total)} ({formatMemory(card.memory.weights)} weights and optimizer,{' '}
          {formatMemory(card.memory.activations)} activations; largest tensor {formatMemory(card.memory.largestTensor)})
        </dd>
        <dt>With recomputation</dt>
        <dd
          data-testid="model-memory-recompute"
          data-bytes={card.memory.recompute.total}
          data-on={recompute ? 'yes' : 'no'}
          title="Each block's activations are recomputed in the backward pass instead of kept: one more forward pass of compute"
        >
          {formatMemory(card.memory.recompute.total)} (
          {recompute
            ? `on${config.recompute === 'auto' ? ': the plain step does not fit this backend' : ''}`
            : `off${config.recompute === 'auto' ? ': the plain step fits' : ''}`}
          ; recompute = {config.recompute})
        </dd>
        <dt>Time per epoch</dt>
        <dd data-testid="model-epoch-time" data-seconds={epoch ?? ''}>
          {epoch !== null
            ? `about ${formatDuration(epoch * 1000)} for ${images} images on ${active}${trainCount === null ? ' (no dataset loaded: per 1,000)' : ''}`
            : `not measured on ${active ?? 'this backend'}: backend auto (or Re-measure) times it`}
        </dd>
        {config.budgetMinutes > 0 && (
          <>
            <dt>Epochs in the budget</dt>
            <dd
              data-testid="model-budget-epochs"
              title="Training times its warmup steps and fixes the epochs from them; this is the estimate before it starts"
            >
              {epoch !== null
                ? `about ${Math.max(1, Math.floor((config.budgetMinutes * 60) / epoch))} in ${config.budgetMinutes} min (the run fixes them from its first steps)`
                : `fixed from the first steps' timing when the run starts`}
            </dd>
          </>
        )}
      </dl>
      {warnings.map((w) => (
        <p key={w.limit} className="warning" data-testid="model-warning">
          {w.message}
        </p>
      ))}
    </section>
  );
}
