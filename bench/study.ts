// The recipe study (docs/recipes.md): trains each recipe of GRID for the same time budget on WASM
// in Node, then reads k-NN and the linear probe of the trained encoder, a random-init encoder of
// the same architecture and seed, and raw pixels, under each readout (global pool, 2×2 and 4×4
// grids of the last map). Not a test: a run takes `minutes` plus about half a minute of evaluation.
//   npx tsx bench/study.ts minutes=3 seeds=0 data=sample recipes=defaults,adamw
//   npx tsx bench/study.ts minutes=10 seeds=0,1,2 data=sample,fashion:0:3000 recipes=small
// One JSON line per run is appended to `out` (default bench/results/study.jsonl); a table of
// means ± spread over seeds per (recipe, data, readout) is printed at the end.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import type { EvalReport } from '../workers/contract/api';
import { FEAT_POOLS, type FeatPool } from '../workers/contract/config';
import { configFromHash } from '../workers/contract/url';
import { FeatureCache } from '../workers/eval/cache';
import { takeWeights } from '../workers/eval/session';
import { releaseRun, RunControl } from '../workers/train/run';
import { train } from '../workers/train/trainer';
import { loadNamed } from '../tools/datasets';
import { evaluateInNode } from '../tools/evaluate';
import { benchArgs } from './args';

/** What every recipe starts from, spelled out so that the grid keeps its meaning when the
 *  studio's defaults change: the official augmentations, the small CNN, batch 64, 1 warmup epoch. */
const BASE =
  'backbone=small-cnn&batchSize=64&warmupEpochs=1&cropScaleMin=0.08&cropScaleMax=1&jitterProb=0.8&blurProb1=1&blurProb2=0.1&solarizeProb1=0&solarizeProb2=0.2&simCoeff=25&stdCoeff=25&covCoeff=1';

/** Each recipe as URL-hash settings over BASE. */
const GRID: Record<string, string> = {
  // The official VICReg settings at this size (LARS, eta 0.001, lr 0.3 per 256 images).
  official: 'optimizer=lars&baseLr=0.3&weightDecay=1e-6&eta=0.001&width=16&projector=256-256-256&imageSize=32',
  'lars-eta0.02': 'optimizer=lars&baseLr=0.3&eta=0.02&weightDecay=1e-6&width=16&projector=256-256-256&imageSize=32',
  adamw: 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32',
  'adamw-lr2': 'optimizer=adamw&baseLr=0.008&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32',
  sgd: 'optimizer=sgd&baseLr=0.2&weightDecay=5e-4&width=16&projector=256-256-256&imageSize=32',
  'adamw-28px': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=28',
  'adamw-20px': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=20',
  'adamw-16px': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=16',
  'adamw-crop0.2': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32&cropScaleMin=0.2',
  'adamw-crop0.4': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32&cropScaleMin=0.4',
  'adamw-noblur': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32&blurProb1=0&blurProb2=0',
  'adamw-nojitter': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32&jitterProb=0',
  'adamw-w24': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=24&projector=256-256-256&imageSize=32',
  'adamw-w32': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=32&projector=256-256-256&imageSize=32',
  'adamw-proj128': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=128-128-128&imageSize=32',
  'adamw-proj1024': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=1024-1024-1024&imageSize=32',
  'adamw-b32': 'optimizer=adamw&baseLr=0.008&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32&batchSize=32',
  'adamw-b128': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32&batchSize=128',
  'adamw-b256': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=16&projector=256-256-256&imageSize=32&batchSize=256',
  'adamw-16px-w32': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=32&projector=256-256-256&imageSize=16',
  'adamw-20px-w24': 'optimizer=adamw&baseLr=0.004&weightDecay=0.05&width=24&projector=256-256-256&imageSize=20',
  'sgd-noblur': 'optimizer=sgd&baseLr=0.2&weightDecay=5e-4&width=16&projector=256-256-256&imageSize=32&blurProb1=0&blurProb2=0',
  'sgd-b128-noblur':
    'optimizer=sgd&baseLr=0.2&weightDecay=5e-4&width=16&projector=256-256-256&imageSize=32&blurProb1=0&blurProb2=0&batchSize=128',
  // The studio's defaults as they are (whatever DEFAULT_CONFIG holds, BASE not applied).
  defaults: '',
};

const args = benchArgs();
const minutes = Number(args.minutes ?? 3);
const seeds = (args.seeds ?? '0').split(',').map(Number);
const datasets = (args.data ?? 'sample').split(',');
const recipes = (args.recipes ?? Object.keys(GRID).join(',')).split(',');
const out = args.out ?? 'bench/results/study.jsonl';
const extra = args.extra ?? ''; // settings added to every recipe, e.g. extra=knnEvery%3D-1
for (const r of recipes) if (!(r in GRID)) throw new Error(`unknown recipe "${r}"; known: ${Object.keys(GRID).join(', ')}`);

registerWasmGradKernels();
await tf.setBackend('wasm');
mkdirSync(dirname(out), { recursive: true });

type Row = { trained: number; random: number; pixels: number };
interface Result {
  recipe: string;
  data: string;
  seed: number;
  minutes: number;
  epochs: number;
  steps: number;
  trainS: number;
  imagesPerSec: number;
  hash: string;
  knn: Record<FeatPool, Row>;
  probe: Record<FeatPool, Row>;
}
const results: Result[] = [];
const rowsOf = (r: EvalReport): Row => {
  const get = (name: string) => 100 * r.rows.find((x) => x.name === name)!.top1;
  return { trained: get('trained'), random: get('random init'), pixels: get('raw pixels') };
};

for (const spec of datasets) {
  for (const recipe of recipes) {
    for (const seed of seeds) {
      const hash = [recipe === 'defaults' ? '' : BASE, GRID[recipe], `seed=${seed}`, `budgetMinutes=${minutes}`, decodeURIComponent(extra)]
        .filter(Boolean)
        .join('&');
      const { config, warnings } = configFromHash(hash);
      if (warnings.length) throw new Error(`${recipe}: ${warnings.map((w) => `${w.key}=${w.value}: ${w.reason}`).join('; ')}`);
      const data = loadNamed(spec, { testFraction: config.testFraction, seed });
      const t0 = performance.now();
      let epochs = config.epochs;
      const run = await train(data, config, new RunControl(), (e) => {
        if (e.type === 'budget') epochs = e.plan.epochs;
        if (e.type === 'metrics' && e.records.length)
          process.stderr.write(`\r${recipe} ${spec} seed ${seed}: step ${e.records[e.records.length - 1].step}   `);
      });
      const trainS = (performance.now() - t0) / 1000;
      const cache = new FeatureCache();
      const w = takeWeights(recipe, run, false);
      const knn = {} as Record<FeatPool, Row>;
      const probe = {} as Record<FeatPool, Row>;
      for (const pool of FEAT_POOLS) {
        const c = { ...run.config, featPool: pool };
        knn[pool] = rowsOf(await evaluateInNode('knn', cache, w, data, c));
        probe[pool] = rowsOf(await evaluateInNode('probe', cache, w, data, c));
      }
      w.model.dispose();
      releaseRun(run);
      const r: Result = {
        recipe,
        data: spec,
        seed,
        minutes,
        epochs,
        steps: run.step,
        trainS: Math.round(trainS),
        imagesPerSec: Math.round((run.step * config.batchSize) / trainS),
        hash,
        knn,
        probe,
      };
      results.push(r);
      appendFileSync(out, `${JSON.stringify({ ...r, at: new Date().toISOString() })}\n`);
      const f = (x: Row) => `${x.trained.toFixed(1)}/${x.random.toFixed(1)}/${x.pixels.toFixed(1)}`;
      process.stderr.write('\n');
      console.log(
        `${recipe} ${spec} seed ${seed}: ${epochs} epochs, ${run.step} steps in ${r.trainS} s (${r.imagesPerSec} img/s); k-NN T/R/P global ${f(knn.global)}, 2x2 ${f(knn['2x2'])}, 4x4 ${f(knn['4x4'])}; probe global ${f(probe.global)}, 4x4 ${f(probe['4x4'])}`,
      );
    }
  }
}

// Mean ± spread (half the range) over seeds, per recipe, dataset and readout.
const ms = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return v.length > 1 ? `${m.toFixed(1)} ± ${((Math.max(...v) - Math.min(...v)) / 2).toFixed(1)}` : m.toFixed(1);
};
console.log(
  `\n| recipe | data | epochs | img/s | readout | k-NN trained | random | pixels | probe trained | random | pixels |\n|---|---|---|---|---|---|---|---|---|---|---|`,
);
for (const spec of datasets) {
  for (const recipe of recipes) {
    const rs = results.filter((r) => r.recipe === recipe && r.data === spec);
    if (!rs.length) continue;
    for (const pool of FEAT_POOLS) {
      const col = (m: 'knn' | 'probe', k: keyof Row) => ms(rs.map((r) => r[m][pool][k]));
      console.log(
        `| ${recipe} | ${spec} | ${ms(rs.map((r) => r.epochs))} | ${ms(rs.map((r) => r.imagesPerSec))} | ${pool} | ${col('knn', 'trained')} | ${col('knn', 'random')} | ${col('knn', 'pixels')} | ${col('probe', 'trained')} | ${col('probe', 'random')} | ${col('probe', 'pixels')} |`,
      );
    }
  }
}
