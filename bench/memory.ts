// Peak memory of one training step of each recipe at its published batch, on TF.js's WASM backend
// in Node, with recomputation off and on, against the model card's estimates. The WASM heap only
// grows, so its size after a step is that step's high-water mark (allocator slack included); each
// case runs in a fresh process. Not a test: ResNet-18 at batch 256 takes minutes a step here.
//   npx tsx bench/memory.ts [recipes=small-32,medium-96,...] [modes=off,on]
//   npx tsx bench/memory.ts one=<recipe>:<off|on>      (one case; what the driver spawns)
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import { DEFAULT_CONFIG, type TrainConfig } from '../workers/contract/config';
import { RECIPES } from '../workers/contract/presets';
import { images } from '../workers/model/backbone-test-kit';
import { modelCard, WASM_HEAP_LIMIT } from '../workers/model/card';
import { buildModel } from '../workers/model/model';
import { makeOptimizer } from '../workers/optim/optimizers';
import { trainStep } from '../workers/train/step';
import { errorMessage } from '../workers/contract/errors';
import { benchArgs } from './args';

type RecipeId = keyof typeof RECIPES;
const args = benchArgs();
const GiB = 2 ** 30;
const heap = () => ((tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.byteLength;

interface Row {
  recipe: string;
  mode: string;
  batch: number;
  estimate: number;
  heap?: number;
  seconds?: number;
  error?: string;
}

async function one(recipe: RecipeId, mode: 'off' | 'on'): Promise<Row> {
  registerWasmGradKernels();
  await tf.setBackend('wasm');
  const c: TrainConfig = { ...DEFAULT_CONFIG, ...RECIPES[recipe].config, recompute: mode };
  const card = modelCard(c);
  const row: Row = { recipe, mode, batch: c.batchSize, estimate: mode === 'on' ? card.memory.recompute.total : card.memory.total };
  try {
    const model = buildModel(c);
    const ctx = { model, optimizer: makeOptimizer(c), config: c, avt: { ema: null }, recompute: mode === 'on' };
    const x1 = images(c.batchSize, c.imageSize, 1);
    const x2 = images(c.batchSize, c.imageSize, 2);
    for (let step = 0; step < 2; step++) {
      const t0 = performance.now();
      const loss = tf.tidy(() => trainStep(ctx, x1, x2, step, 0.01).row);
      const value = (await loss.data())[0];
      loss.dispose();
      if (!Number.isFinite(value)) throw new Error(`loss ${value}`);
      row.seconds = (performance.now() - t0) / 1000; // the second step: slots exist, kernels warm
    }
    row.heap = heap();
  } catch (e) {
    row.error = errorMessage(e).slice(0, 120);
    row.heap = heap();
  }
  return row;
}

if (args.one) {
  const [recipe, mode] = args.one.split(':') as [RecipeId, 'off' | 'on'];
  console.log(`ROW ${JSON.stringify(await one(recipe, mode))}`);
} else {
  const recipes = (args.recipes ?? 'defaults,quick-cpu,small-32,medium-96,vit-s16-96,large-224-cpu').split(',') as RecipeId[];
  const modes = (args.modes ?? 'off,on').split(',');
  const rows: Row[] = [];
  for (const recipe of recipes) {
    for (const mode of modes) {
      const c = { ...DEFAULT_CONFIG, ...RECIPES[recipe].config };
      const card = modelCard(c);
      const estimate = mode === 'on' ? card.memory.recompute.total : card.memory.total;
      // A plain step the card puts far past the heap only proves the heap's limit, for minutes.
      if (mode === 'off' && estimate > 2 * WASM_HEAP_LIMIT) {
        rows.push({ recipe, mode, batch: c.batchSize, estimate, error: 'not run: the estimate is over twice the 4 GiB heap' });
        continue;
      }
      const p = spawnSync('npx', ['tsx', 'bench/memory.ts', `one=${recipe}:${mode}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
      const line = p.stdout.split('\n').find((l) => l.startsWith('ROW '));
      const row: Row = line
        ? JSON.parse(line.slice(4))
        : { recipe, mode, batch: c.batchSize, estimate, error: `crashed: ${(p.stderr || '').trim().split('\n').pop()?.slice(0, 120)}` };
      rows.push(row);
      console.error(JSON.stringify(row));
      appendFileSync('bench/results/memory.jsonl', `${JSON.stringify({ at: new Date().toISOString(), ...row })}\n`);
    }
  }
  console.log('\n| recipe | batch | recompute | card estimate | measured WASM heap | step s | |\n|---|---|---|---|---|---|---|');
  const g = (b?: number) => (b === undefined ? '–' : `${(b / GiB).toFixed(2)} GiB`);
  for (const r of rows)
    console.log(
      `| ${r.recipe} | ${r.batch} | ${r.mode} | ${g(r.estimate)} | ${r.error && !r.heap ? '–' : g(r.heap)} | ${r.seconds?.toFixed(1) ?? '–'} | ${r.error ?? ''} |`,
    );
}
