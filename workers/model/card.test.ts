import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradKernels } from '../backend/wasm/register';
import { BACKBONES, DEFAULT_CONFIG, type TrainConfig } from '../contract/config';
import { lars } from '../optim/optimizers';
import { trainStep } from '../train/step';
import { applyPreset, RECIPE_IDS } from '../contract/presets';
import {
  backboneTally,
  usesRecompute,
  cardWarnings,
  epochSeconds,
  modelCard,
  probeConfig,
  PROBE_MAX_PARAMS,
  PROBE_MAX_SIZE,
  tapeFactor,
  WASM_HEAP_LIMIT,
  type CardConfig,
} from './card';
import { buildModel } from './model';

// Importing the wasm backend makes it the default; the other tests build their models on cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const base: TrainConfig = { ...DEFAULT_CONFIG };
const at224 = (backbone: CardConfig['backbone']): CardConfig => ({
  ...base,
  backbone,
  imageSize: 224,
  stem: 'imagenet',
  widthMult: 1,
  patchSize: 16,
  vitDepth: 12,
});

describe('model card: parameters', () => {
  it('backbones at 224 px have the published counts (torchvision / timm totals less the classifier)', () => {
    expect(modelCard(at224('resnet18')).params.backbone).toBe(11_689_512 - 513_000);
    expect(modelCard(at224('resnet34')).params.backbone).toBe(21_797_672 - 513_000);
    expect(modelCard(at224('resnet50')).params.backbone).toBe(25_557_032 - 2_049_000);
    expect(modelCard(at224('mobilenetv2')).params.backbone).toBe(3_504_872 - 1_281_000);
    // Keras: ResNet50V2(include_top=False).count_params() counts BatchNorm's moving statistics too.
    const v2 = backboneTally(at224('resnet50v2'));
    expect(v2.params).toBe(23_519_360);
    expect(v2.params + v2.buffers).toBe(23_564_800);
    expect(modelCard(at224('vit-tiny')).params.backbone).toBe(5_717_416 - 193_000);
    expect(modelCard(at224('vit-small')).params.backbone).toBe(22_050_664 - 385_000);
  });

  it('the small CNN and the projector by hand: 3x3 convs + BN; Linear-BN per hidden size, a final Linear without bias', () => {
    const card = modelCard({ ...base, width: 16, projector: '256-256-256' });
    const convs = 27 * 16 + 9 * 16 * 32 + 9 * 32 * 64 + 9 * 64 * 128;
    expect(card.params.backbone).toBe(convs + 2 * (16 + 32 + 64 + 128));
    expect(card.params.projector).toBe(128 * 256 + 256 + 2 * 256 + 256 * 256 + 256 + 2 * 256 + 256 * 256);
    expect(card.params.buffers).toBe(2 * (16 + 32 + 64 + 128) + 2 * (256 + 256));
  });

  it('every backbone at a reduced size agrees with the real ParamStore (trainable and BatchNorm buffers)', () => {
    for (const backbone of BACKBONES) {
      const c = {
        ...base,
        backbone,
        imageSize: 32,
        widthMult: 0.125,
        width: 4,
        patchSize: 8,
        vitDepth: 2,
        projector: '64-32',
        stem: backbone === 'resnet50' || backbone === 'resnet50v2' ? 'imagenet' : 'cifar',
      } as const;
      const model = buildModel(c);
      const count = (trainable: boolean) =>
        model.store.params.filter((p) => p.trainable === trainable).reduce((n, p) => n + p.variable.size, 0);
      const card = modelCard(c);
      expect(card.params.total, backbone).toBe(count(true));
      expect(card.params.buffers, backbone).toBe(count(false));
      expect(card.featureDim, backbone).toBe(model.backbone.featureDim);
      model.dispose();
    }
  });
});

describe('model card: FLOPs (2 x multiply-adds of convs, dense layers and attention matmuls)', () => {
  it('the small CNN by hand at 32 px: output side x output side x 9 x cin x cout per conv', () => {
    const macs = 32 * 32 * 27 * 16 + 16 * 16 * 9 * 16 * 32 + 8 * 8 * 9 * 32 * 64 + 4 * 4 * 9 * 64 * 128;
    expect(modelCard({ ...base, width: 16 }).flops.backbone).toBe(2 * macs);
    expect(modelCard({ ...base, width: 16, projector: '256-256-256' }).flops.projector).toBe(2 * (128 * 256 + 256 * 256 + 256 * 256));
  });

  it('the ViT by hand: patch embedding, per block 12·N·D² for the linears and 2·N²·D for attention', () => {
    const [N, D, p] = [4 * 4 + 1, 192, 16];
    const macs = 16 * p * p * 3 * D + 12 * (12 * N * D * D + 2 * N * N * D);
    expect(modelCard({ ...at224('vit-tiny'), imageSize: 64 }).flops.backbone).toBe(2 * macs);
  });

  it('the published multiply-add counts at 224 px, to 1% (ResNet-18 1.82 G, ResNet-50 4.09 G, MobileNetV2 0.30 G, ViT-S/16 4.6 G)', () => {
    const gmacs = (b: CardConfig['backbone']) => modelCard(at224(b)).flops.backbone / 2e9;
    expect(gmacs('resnet18')).toBeCloseTo(1.82, 1);
    expect(Math.abs(gmacs('resnet50') / 4.09 - 1)).toBeLessThan(0.01);
    expect(Math.abs(gmacs('mobilenetv2') / 0.3 - 1)).toBeLessThan(0.01);
    expect(Math.abs(gmacs('vit-small') / 4.6 - 1)).toBeLessThan(0.01);
  });
});

describe('model card: training memory', () => {
  it("weights x (weight + gradient + 2 update temporaries + optimizer slots) + buffers, and the tape's activations for both views", () => {
    const c = { ...base, width: 1, imageSize: 2, projector: '2-2', batchSize: 3, optimizer: 'lars' as const };
    const card = modelCard(c);
    // Activations per image: each conv and BN + ReLU output (sides 2, 1, 1, 1; channels 1, 2, 4, 8),
    // pooled features 8, projector Linear 2, BN + ReLU 2, Linear 2.
    const perImage = 2 * (4 * 1 + 1 * 2 + 1 * 4 + 1 * 8) + 8 + 3 * 2;
    expect(card.memory.perImage).toBe(4 * perImage);
    expect(card.memory.activations).toBe(tapeFactor('small-cnn') * 4 * perImage * 2 * 3);
    expect(card.memory.weights).toBe(4 * (5 * card.params.total + card.params.buffers));
    expect(modelCard({ ...c, optimizer: 'adamw' }).memory.weights).toBe(4 * (6 * card.params.total + card.params.buffers));
    expect(card.memory.largestTensor).toBe(4 * 3 * 8); // the 8-channel 1×1 maps, 8 values per image
  });

  // The estimate against TF.js itself: the peak bytes of a real training step (both views, loss,
  // backward, LARS update) on the wasm backend (the bytes are the engine's, the same on cpu, only
  // faster), after a first step has made the optimizer's slots; at sizes where activations dominate,
  // as they do wherever the memory warning matters.
  for (const backbone of ['small-cnn', 'resnet18', 'resnet50v2', 'mobilenetv2', 'vit-tiny'] as const) {
    // ResNet50V2 with recomputation: the estimate is 1.55× the measured peak, on the safe side. Its
    // segments are rich in adds (conv biases, the residual), whose gradient is dy itself (TF.js's
    // add gradient reshapes dy, sharing its data), which the tape factor does not model.
    for (const recompute of backbone === 'resnet50v2' ? [false] : [false, true]) {
      it(`${backbone}: the estimate${recompute ? ' with recomputation' : ''} is within 1.5× of a measured training step's peak`, async () => {
        registerWasmGradKernels();
        await tf.setBackend('wasm');
        const c = {
          ...base,
          backbone,
          batchSize: 16,
          imageSize: 32,
          width: 16,
          widthMult: 0.25,
          patchSize: 4,
          vitDepth: 2,
          projector: '64-64',
        };
        const model = buildModel(c);
        const optimizer = lars(c);
        const ctx = { model, optimizer, config: c, avt: { ema: null }, recompute };
        const [x1, x2] = [
          tf.randomUniform([16, 32, 32, 3], 0, 1, 'float32', 1),
          tf.randomUniform([16, 32, 32, 3], 0, 1, 'float32', 2),
        ] as tf.Tensor4D[];
        tf.dispose(tf.tidy(() => trainStep(ctx, x1, x2, 1, 0.01).row));
        const info = await tf.profile(() => tf.dispose(tf.tidy(() => trainStep(ctx, x1, x2, 2, 0.01).row)));
        const measured = info.peakBytes - 2 * x1.size * 4; // less the two input batches
        const card = modelCard(c).memory;
        const ratio = (recompute ? card.recompute.total : card.total) / measured;
        expect(ratio, `estimate / measured = ${ratio.toFixed(2)}`).toBeGreaterThan(1 / 1.5);
        expect(ratio, `estimate / measured = ${ratio.toFixed(2)}`).toBeLessThan(1.5);
        tf.dispose([x1, x2]);
        optimizer.dispose();
        model.dispose();
        await tf.setBackend('cpu');
      });
    }
  }

  it('activations grow linearly with the batch; weights do not', () => {
    const a = modelCard({ ...base, batchSize: 16 });
    const b = modelCard({ ...base, batchSize: 32 });
    expect(b.memory.activations).toBe(2 * a.memory.activations);
    expect(b.memory.weights).toBe(a.memory.weights);
  });
});

describe('model card: warnings against backend limits', () => {
  const big = { ...at224('resnet50'), batchSize: 256 };
  const card = modelCard(big);
  const none = { backend: 'webgpu', maxBufferSize: null, maxStorageBufferBindingSize: null, maxTotal: null };

  it('names the WebGPU limit that the largest tensor exceeds and the largest batch that fits', () => {
    const w = cardWarnings(card, big, { ...none, maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 });
    expect(w.map((x) => x.limit)).toEqual(['maxStorageBufferBindingSize', 'maxBufferSize']);
    const fit = Math.floor((128 * 2 ** 20) / (card.memory.largestTensor / 256));
    expect(w[0].message).toContain(`lower batchSize to at most ${fit}`);
    expect(modelCard({ ...big, batchSize: fit }).memory.largestTensor).toBeLessThanOrEqual(128 * 2 ** 20);
    expect(modelCard({ ...big, batchSize: fit + 1 }).memory.largestTensor).toBeGreaterThan(128 * 2 ** 20);
  });

  it('says nothing when everything fits, and suggests a smaller model when not even a batch of 2 fits', () => {
    expect(
      cardWarnings(modelCard(base), base, {
        ...none,
        maxBufferSize: 2 ** 30,
        maxStorageBufferBindingSize: 2 ** 30,
        maxTotal: WASM_HEAP_LIMIT,
      }),
    ).toEqual([]);
    const w = cardWarnings(card, big, { ...none, backend: 'wasm', maxTotal: 1024 ** 2 });
    expect(w).toHaveLength(1);
    expect(w[0].message).toMatch(/exceeds what wasm can hold.*choose a smaller backbone/);
  });

  it('every recipe fits the WASM heap at its published batch with recompute auto; off names the setting', () => {
    const wasm = { ...none, backend: 'WASM', maxTotal: WASM_HEAP_LIMIT };
    const over: string[] = [];
    for (const id of RECIPE_IDS) {
      const c = applyPreset(DEFAULT_CONFIG, id);
      const m = modelCard(c);
      expect(m.memory.recompute.total, id).toBeLessThan(m.memory.total);
      expect(cardWarnings(m, c, wasm), id).toEqual([]);
      expect(usesRecompute(m, 'auto', WASM_HEAP_LIMIT)).toBe(m.memory.total > WASM_HEAP_LIMIT);
      if (m.memory.total <= WASM_HEAP_LIMIT) continue;
      over.push(id);
      const w = cardWarnings(m, { ...c, recompute: 'off' }, wasm);
      expect(w[0].message).toContain('set recompute to auto');
    }
    expect(over).toEqual(expect.arrayContaining(['small-32', 'vit-s16-96', 'large-224-cpu']));
  });

  it('epoch time scales the probe by the FLOPs ratio', () => {
    expect(epochSeconds(2, 1e6, 3e6, 1000)).toBe(6);
  });
});

// The card must stay importable by the UI thread: no TF.js in card.ts or arch.ts.
it('card.ts and arch.ts import no TF.js', async () => {
  const { readFileSync } = await import('node:fs');
  for (const f of ['card.ts', 'arch.ts']) expect(readFileSync(new URL(f, import.meta.url), 'utf8')).not.toMatch(/@tensorflow/);
});

describe("auto's probe model (probeConfig)", () => {
  it("is the run's architecture, width and projector, at its image size capped to 64 px", () => {
    const spec = {
      backbone: 'resnet50' as const,
      widthMult: 0.5,
      stem: 'imagenet' as const,
      width: 16,
      projector: '512-512',
      imageSize: 224,
    };
    const c = probeConfig(spec, 8);
    expect(c).toMatchObject({ ...spec, imageSize: PROBE_MAX_SIZE, batchSize: 8 });
    expect(probeConfig({ ...spec, imageSize: 32 }, 8).imageSize).toBe(32);
    // A ViT keeps at least one patch; absent fields fall back to the defaults (the small CNN).
    expect(probeConfig({ width: 8, projector: '8-8', imageSize: 224, backbone: 'vit-tiny', patchSize: 64 }, 8).imageSize).toBe(64);
    const old = probeConfig({ width: 8, projector: '8-8', imageSize: 16, backbone: undefined }, 4);
    expect(old).toMatchObject({ backbone: DEFAULT_CONFIG.backbone, imageSize: 16, width: 8, batchSize: 4 });
    // The card's epoch estimate scales the probe's time by this ratio: far below 1 for a large model.
    expect(modelCard(c).flops.total / modelCard({ ...c, imageSize: 224 }).flops.total).toBeCloseTo((64 / 224) ** 2, 1);
  });

  it('never builds more than a capped model, whatever a URL asks for', () => {
    const huge = probeConfig({ width: 512, projector: '99999-99999', imageSize: 32 }, 8);
    expect(huge).toMatchObject({ projector: '2048-2048', width: 64 });
    expect(modelCard(huge).params.total).toBeLessThan(PROBE_MAX_PARAMS);
    // The published recipes are probed as they are.
    const resnet = {
      backbone: 'resnet18' as const,
      widthMult: 1,
      stem: 'cifar' as const,
      width: 16,
      projector: '2048-2048-2048',
      imageSize: 32,
    };
    expect(probeConfig(resnet, 8)).toMatchObject(resnet);
  });
});
