// Optimizers over explicit variables. Their state lives in tf.Variables, listed by `state()` so a
// checkpoint can hold it. Each update runs inside one tf.tidy and reads nothing back.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../contract/config';
import { fusedSgdStep, SGD_STEP, type SgdStepAttrs } from './sgd-step';

/** One piece of optimizer state: a slot of a parameter (momentum, moments) or a scalar (param null). */
export interface SlotState {
  slot: OptimizerSlot;
  param: tf.Variable | null;
  variable: tf.Variable;
}

export interface Optimizer {
  /** Applies one update; grads[i] belongs to vars[i]. lr is this step's learning rate. */
  apply(vars: tf.Variable[], grads: tf.Tensor[], lr: number): void;
  /** Every state variable, in creation order (slots are created at a parameter's first update). */
  state(): SlotState[];
  /** Sets the state from a checkpoint: each value is copied into a slot, created if absent. */
  load(values: { slot: OptimizerSlot; param: tf.Variable | null; value: tf.Tensor }[]): void;
  dispose(): void;
}

/** Every slot name an optimizer here keeps (a checkpoint's record may name no other). */
export const OPTIMIZER_SLOTS = ['lars.mu', 'sgd.mu', 'adamw.m', 'adamw.v', 'adamw.t'] as const;
export type OptimizerSlot = (typeof OPTIMIZER_SLOTS)[number];

/** Official exclude_bias_and_norm: biases and BatchNorm parameters are the 1-D ones. */
export const isBiasOrNorm = (v: tf.Variable) => v.rank === 1;

// TF.js variable names are global to the engine; a counter keeps two optimizers' apart.
let optimizerCount = 0;

function slots(prefix: OptimizerSlot) {
  const m = new Map<tf.Variable, tf.Variable>();
  const create = (v: tf.Variable, init: tf.Tensor) => {
    const s = tf.variable(init, false, `${prefix}/${v.name}#${optimizerCount++}`);
    m.set(v, s);
    return s;
  };
  return {
    get(v: tf.Variable): tf.Variable {
      return m.get(v) ?? tf.tidy(() => create(v, tf.zerosLike(v)));
    },
    set(v: tf.Variable, value: tf.Tensor) {
      const s = m.get(v);
      if (s) s.assign(value);
      else create(v, value);
    },
    list: (): SlotState[] => [...m.entries()].map(([param, variable]) => ({ slot: prefix, param, variable })),
    dispose: () => m.forEach((s) => s.dispose()),
  };
}

/** Loads checkpoint values into the named slot sets; a scalar slot (param null) goes to `scalars`. */
function loadInto(
  sets: Record<string, ReturnType<typeof slots>>,
  scalars: Record<string, tf.Variable>,
  values: Parameters<Optimizer['load']>[0],
) {
  for (const { slot, param, value } of values) {
    if (param) {
      if (!Object.hasOwn(sets, slot))
        throw new Error(
          `the checkpoint holds optimizer slot ${slot}, which its optimizer does not have: it was written by another optimizer, or its config was edited`,
        );
      sets[slot].set(param, value);
    } else {
      if (!Object.hasOwn(scalars, slot))
        throw new Error(
          `the checkpoint holds optimizer state ${slot}, which its optimizer does not have: it was written by another optimizer, or its config was edited`,
        );
      scalars[slot].assign(value);
    }
  }
}

/**
 * ‖x‖₂ over all entries. tf.norm computes the same as sqrt(sum(pow(abs(x), 2))), and the WASM
 * backend's Pow calls powf per value: it was 4% of a training step there.
 */
const l2Norm = (x: tf.Tensor): tf.Scalar => tf.sqrt(tf.sum(tf.square(x))) as tf.Scalar;

/**
 * LARS as main_vicreg.py: dp = g + wd·p; q = eta·‖p‖/‖dp‖ (1 when either norm is 0); dp ← q·dp;
 * mu ← momentum·mu + dp; p ← p − lr·mu. With exclude1d, 1-D parameters skip both the weight decay
 * and the trust ratio (weight_decay_filter = lars_adaptation_filter = exclude_bias_and_norm).
 */
export function lars(o: { weightDecay: number; momentum: number; eta: number; exclude1d?: boolean }): Optimizer {
  const mu = slots('lars.mu');
  const exclude1d = o.exclude1d ?? true;
  return {
    apply(vars, grads, lr) {
      tf.tidy(() => {
        vars.forEach((p, i) => {
          let dp = grads[i];
          if (!(exclude1d && isBiasOrNorm(p))) {
            dp = tf.add(dp, tf.mul(p, o.weightDecay));
            const pNorm = l2Norm(p);
            const dNorm = l2Norm(dp);
            const one = tf.onesLike(pNorm);
            const q = tf.where(tf.greater(pNorm, 0), tf.where(tf.greater(dNorm, 0), tf.div(tf.mul(pNorm, o.eta), dNorm), one), one);
            dp = tf.mul(dp, q);
          }
          heavyBall(p, mu.get(p), dp, o.momentum, lr);
        });
      });
    },
    state: mu.list,
    load: (values) => loadInto({ 'lars.mu': mu }, {}, values),
    dispose: mu.dispose,
  };
}

/** The momentum step LARS and SGD share: m ← momentum·m + g, then p ← p − lr·m (torch.optim.SGD
 *  with dampening 0; main_vicreg.py's LARS.step ends the same way). */
function heavyBall(p: tf.Variable, m: tf.Variable, g: tf.Tensor, momentum: number, lr: number): void {
  m.assign(tf.add(tf.mul(m, momentum), g));
  p.assign(tf.sub(p, tf.mul(m, lr)));
}

/** SGD's weight decay and heavy-ball step as one kernel where the backend has it (./sgd-step.ts). */
function sgdUpdate(p: tf.Variable, m: tf.Variable, g: tf.Tensor, a: SgdStepAttrs): void {
  if (!fusedSgdStep()) {
    heavyBall(p, m, a.weightDecay === 0 ? g : tf.add(g, tf.mul(p, a.weightDecay)), a.momentum, a.lr);
    return;
  }
  const [nextM, nextP] = tf.engine().runKernel(SGD_STEP, { p, m, g }, a as unknown as tf.NamedAttrMap) as tf.Tensor[];
  m.assign(nextM);
  p.assign(nextP);
}

/** SGD with momentum and coupled weight decay (torch.optim.SGD, dampening 0). */
export function sgd(o: { weightDecay: number; momentum: number }): Optimizer {
  const mu = slots('sgd.mu');
  return {
    apply(vars, grads, lr) {
      tf.tidy(() => {
        vars.forEach((p, i) => {
          const weightDecay = isBiasOrNorm(p) ? 0 : o.weightDecay;
          sgdUpdate(p, mu.get(p), grads[i], { lr, momentum: o.momentum, weightDecay });
        });
      });
    },
    state: mu.list,
    load: (values) => loadInto({ 'sgd.mu': mu }, {}, values),
    dispose: mu.dispose,
  };
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay, bias-corrected moments (torch.optim.AdamW). */
export function adamw(o: { weightDecay: number; beta1: number; beta2?: number; epsilon?: number }): Optimizer {
  const m1 = slots('adamw.m');
  const m2 = slots('adamw.v');
  const beta2 = o.beta2 ?? 0.999;
  const epsilon = o.epsilon ?? 1e-8;
  const t = tf.variable(tf.scalar(0), false, `adamw.t#${optimizerCount++}`);
  return {
    apply(vars, grads, lr) {
      tf.tidy(() => {
        t.assign(tf.add(t, 1));
        const c1 = tf.sub(1, tf.pow(o.beta1, t));
        const c2 = tf.sub(1, tf.pow(beta2, t));
        vars.forEach((p, i) => {
          const g = grads[i];
          const m = m1.get(p);
          const v = m2.get(p);
          m.assign(tf.add(tf.mul(m, o.beta1), tf.mul(g, 1 - o.beta1)));
          v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
          const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), epsilon));
          const decay = isBiasOrNorm(p) ? 0 : o.weightDecay;
          p.assign(tf.sub(tf.mul(p, 1 - lr * decay), tf.mul(update, lr)));
        });
      });
    },
    state: () => [...m1.list(), ...m2.list(), { slot: 'adamw.t', param: null, variable: t }],
    load: (values) => loadInto({ 'adamw.m': m1, 'adamw.v': m2 }, { 'adamw.t': t }, values),
    dispose: () => {
      m1.dispose();
      m2.dispose();
      t.dispose();
    },
  };
}

/** Scales every gradient by min(1, maxNorm / ‖g‖_global), on device. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  return tf.tidy(() => {
    const total = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(total, 1e-6)));
    return grads.map((g) => tf.mul(g, scale));
  });
}

/** The optimizer a config names, with its hyper-parameters. */
export function makeOptimizer(config: TrainConfig): Optimizer {
  if (config.optimizer === 'adamw') return adamw({ weightDecay: config.weightDecay, beta1: config.momentum });
  if (config.optimizer === 'sgd') return sgd({ weightDecay: config.weightDecay, momentum: config.momentum });
  return lars({ weightDecay: config.weightDecay, momentum: config.momentum, eta: config.eta });
}
