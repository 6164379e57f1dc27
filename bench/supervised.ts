// The supervised reference's recipe (docs/recipes.md, "The supervised reference"): the default
// architecture from a random init, trained with labels as the studio's supervised baseline does
// (workers/eval/finetune.ts: one augmented view with view 1's settings, SGD momentum 0.9, warmup
// then cosine), on the sample's split, in Node on WASM (one thread), for each learning rate and
// weight decay of the grid. Prints top-1 with its 95% Wilson interval, and the seconds.
//   npx tsx bench/supervised.ts [epochs=30] [lrs=0.025,0.05,0.1,0.2] [wds=5e-4] [augment=view,light] [seeds=0] [data=sample]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { appendFileSync } from 'node:fs';
import { registerWasmGradKernels } from '../workers/backend/wasm/register';
import { configFromHash } from '../workers/contract/url';
import { wilson } from '../workers/eval/intervals';
import { type BaselineAugment, trainBaseline } from '../workers/eval/finetune';
import { buildModel } from '../workers/model/model';
import { loadNamed } from '../tools/datasets';
import { benchArgs } from './args';

const args = benchArgs();
const epochs = Number(args.epochs ?? 30);
const lrs = (args.lrs ?? '0.025,0.05,0.1,0.2').split(',').map(Number);
const wds = (args.wds ?? '5e-4').split(',').map(Number);
const augments = (args.augment ?? 'view').split(',') as BaselineAugment[];
const seeds = (args.seeds ?? '0').split(',').map(Number);
const spec = args.data ?? 'sample';
const out = args.out ?? 'bench/results/supervised.jsonl';

registerWasmGradKernels();
await tf.setBackend('wasm');

console.log(`supervised from scratch, ${spec}, ${epochs} epochs, default architecture`);
console.log('| augment | lr | weight decay | seed | top-1 % | 95% interval | seconds |\n|---|---|---|---|---|---|---|');
for (const seed of seeds) {
  const { config } = configFromHash(`seed=${seed}`);
  const data = loadNamed(spec, { testFraction: config.testFraction, seed });
  for (const [augment, wd, lr] of augments.flatMap((a) => wds.flatMap((w) => lrs.map((l) => [a, w, l] as const)))) {
    const model = buildModel(config);
    const r = await trainBaseline(
      { weights: { config }, data, config, cancelled: () => false },
      {
        kind: 'supervised',
        model,
        length: { epochs },
        onEpoch: (e, loss) => process.stderr.write(`\rlr ${lr} wd ${wd} seed ${seed}: epoch ${e}, loss ${loss.toFixed(3)}   `),
        recipe: { lrHead: lr, weightDecay: wd, augment },
      },
    );
    model.dispose();
    process.stderr.write('\n');
    const n = data.test.length;
    const { lo, hi } = wilson(Math.round(r.top1 * n), n);
    console.log(
      `| ${augment} | ${lr} | ${wd} | ${seed} | ${(100 * r.top1).toFixed(1)} | ${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)} | ${r.cost.seconds.toFixed(0)} |`,
    );
    appendFileSync(
      out,
      `${JSON.stringify({ at: new Date().toISOString(), data: spec, seed, epochs, augment, lr, weightDecay: wd, top1: r.top1, testCount: n, seconds: r.cost.seconds, curve: r.curve.map((p) => p.loss) })}\n`,
    );
  }
}
