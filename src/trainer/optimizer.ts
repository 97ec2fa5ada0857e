/**
 * The two optimizers CenterFusion's main.py builds, written out so that the learning rate can
 * change between epochs and the arithmetic follows PyTorch's update rules:
 *   adam: Adam(lr), betas (0.9, 0.999), eps 1e-8, no weight decay;
 *   sgd:  SGD(lr, momentum 0.9, weight_decay 1e-4), decay added to the gradient.
 */
import { tf } from './tf';

export class OptimizerError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'OptimizerError';
  }
}

export interface Optimizer {
  readonly name: 'adam' | 'sgd';
  /** The current learning rate (param_group['lr']). */
  lr: number;
  /** Applies one update to `vars` from `grads` (same names). Disposes nothing it was given. */
  step(vars: ReadonlyMap<string, tf.Variable>, grads: Record<string, tf.Tensor>): void;
  dispose(): void;
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;
export const SGD_MOMENTUM = 0.9;
export const SGD_WEIGHT_DECAY = 1e-4;

class Adam implements Optimizer {
  readonly name = 'adam' as const;
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(public lr: number) {}

  step(vars: ReadonlyMap<string, tf.Variable>, grads: Record<string, tf.Tensor>): void {
    this.t++;
    const bc1 = 1 - ADAM_BETA1 ** this.t;
    const bc2 = 1 - ADAM_BETA2 ** this.t;
    const stepSize = this.lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    for (const [name, param] of vars) {
      const g = grads[name];
      if (g === undefined) continue;
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (m === undefined || v === undefined) {
        m = tf.tidy(() => tf.variable(tf.zerosLike(param), false));
        v = tf.tidy(() => tf.variable(tf.zerosLike(param), false));
        this.m.set(name, m);
        this.v.set(name, v);
      }
      const mm = m;
      const vv = v;
      tf.tidy(() => {
        const mNew = tf.add(tf.mul(mm, ADAM_BETA1), tf.mul(g, 1 - ADAM_BETA1));
        const vNew = tf.add(tf.mul(vv, ADAM_BETA2), tf.mul(tf.square(g), 1 - ADAM_BETA2));
        mm.assign(mNew);
        vv.assign(vNew);
        const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), ADAM_EPS);
        param.assign(tf.sub(param, tf.mul(stepSize, tf.div(mNew, denom))));
      });
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

class Sgd implements Optimizer {
  readonly name = 'sgd' as const;
  private readonly buf = new Map<string, tf.Variable>();

  constructor(public lr: number) {}

  step(vars: ReadonlyMap<string, tf.Variable>, grads: Record<string, tf.Tensor>): void {
    for (const [name, param] of vars) {
      const g = grads[name];
      if (g === undefined) continue;
      const existing = this.buf.get(name);
      tf.tidy(() => {
        const d = tf.add(g, tf.mul(param, SGD_WEIGHT_DECAY));
        let b: tf.Tensor;
        if (existing === undefined) {
          b = d;
          this.buf.set(name, tf.variable(d, false));
        } else {
          b = tf.add(tf.mul(existing, SGD_MOMENTUM), d);
          existing.assign(b);
        }
        param.assign(tf.sub(param, tf.mul(this.lr, b)));
      });
    }
  }

  dispose(): void {
    for (const t of this.buf.values()) t.dispose();
    this.buf.clear();
  }
}

/** CenterFusion's get_optimizer: adam or sgd; anything else is an error (exit code 2). */
export function createOptimizer(name: string, lr: number): Optimizer {
  if (name === 'adam') return new Adam(lr);
  if (name === 'sgd') return new Sgd(lr);
  throw new OptimizerError(`optimizer not correctly defined: ${JSON.stringify(name)} (CenterFusion builds adam or sgd)`);
}
