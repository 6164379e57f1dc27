// The run's random draws, in the order one seeded generator makes them: at each epoch's start its
// shuffle, then for each step the crop, flip and colour parameters of view 1, then of view 2. The
// views can then be drawn a step or two ahead of the step that trains on them (rendered meanwhile
// by the augmentation worker) while a checkpoint still records the generator as it stood before
// the next step to train, so that a resumed run draws exactly what the unbroken run drew.
import type { TrainConfig } from '../contract/config';
import type { CheckpointMeta } from '../checkpoint/record';
import { drawParams, viewOptions, type AugmentOptions, type ViewParams } from '../dataset/augment';
import type { Dataset } from '../dataset/dataset';
import { permutation, type Rng } from '../dataset/random';

/** One step's draws: its place in the run, its images (dataset indices), both views' parameters
 *  and the side its views are rendered at (./resolution.ts). */
export interface StepDraw {
  epoch: number;
  index: number; // the step within its epoch
  batch: Int32Array;
  params: [ViewParams, ViewParams];
  imageSize: number;
}

/** What a checkpoint keeps of the generator (checkpoint/record.ts): its state before the next
 *  step's draws, and before its epoch's shuffle. */
export interface RngRecord {
  state: number;
  epochStart: number;
}

export class Draws {
  private order: Int32Array = new Int32Array(0);
  private epoch: number;
  private index: number; // the next step to draw, within `epoch`
  /** The generator before each drawn epoch's shuffle, and before each drawn step's parameters. */
  private readonly epochStarts = new Map<number, number>();
  private readonly stepStates = new Map<string, number>();
  private readonly views: [AugmentOptions, AugmentOptions];

  constructor(
    private readonly data: Dataset,
    private readonly config: TrainConfig,
    private readonly rand: Rng,
    private readonly stepsPerEpoch: number,
    resume?: Pick<CheckpointMeta, 'epoch' | 'stepInEpoch' | 'rng'>,
    /** The views' side at a step of the run (0-based); the config's imageSize when not given. */
    private readonly sideOf: (step: number) => number = () => config.imageSize,
  ) {
    this.views = [viewOptions(config, 1, data.summary), viewOptions(config, 2, data.summary)];
    this.epoch = resume?.epoch ?? 0;
    this.index = resume?.stepInEpoch ?? 0;
    // A resumed epoch replays its shuffle from the state it began with, then picks the generator
    // up where the checkpoint left it.
    if (resume) rand.setState(resume.rng.epochStart);
    this.shuffle();
    if (resume && resume.stepInEpoch > 0) rand.setState(resume.rng.state);
  }

  /** Draws the next step (the next epoch's shuffle first, at an epoch's end). */
  next(): StepDraw {
    if (this.index === this.stepsPerEpoch) {
      this.epoch++;
      this.index = 0;
      this.shuffle();
    }
    const { epoch, index } = this;
    const { batchSize: B } = this.config;
    this.stepStates.set(key(epoch, index), this.rand.getState());
    const batch = this.order.subarray(index * B, (index + 1) * B).map((k) => this.data.train[k]);
    const { height: h, width: w } = this.data.shape;
    const params: [ViewParams, ViewParams] = [drawParams(B, h, w, this.views[0], this.rand), drawParams(B, h, w, this.views[1], this.rand)];
    this.index++;
    return { epoch, index, batch, params, imageSize: this.sideOf(epoch * this.stepsPerEpoch + index) };
  }

  /** The generator to record in a checkpoint whose next step is step `next` of `epoch` (or, at
   *  next = stepsPerEpoch, the first of the next epoch). Forgets what comes before that step. */
  rngAt(epoch: number, next: number): RngRecord {
    if (next >= this.stepsPerEpoch) {
      const s = this.epochStarts.get(epoch + 1) ?? this.rand.getState();
      return { state: s, epochStart: s };
    }
    for (const k of this.stepStates.keys()) if (before(k, epoch, next)) this.stepStates.delete(k);
    for (const e of this.epochStarts.keys()) if (e < epoch) this.epochStarts.delete(e);
    return { state: this.stepStates.get(key(epoch, next)) ?? this.rand.getState(), epochStart: this.epochStarts.get(epoch)! };
  }

  private shuffle(): void {
    this.epochStarts.set(this.epoch, this.rand.getState());
    this.order = permutation(this.data.train.length, this.rand);
    // The state right after the shuffle is where step 0's draws begin.
    this.stepStates.set(key(this.epoch, 0), this.rand.getState());
  }
}

const key = (epoch: number, index: number) => `${epoch}:${index}`;
const before = (k: string, epoch: number, index: number) => {
  const [e, i] = k.split(':').map(Number);
  return e < epoch || (e === epoch && i < index);
};
