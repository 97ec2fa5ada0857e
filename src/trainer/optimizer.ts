/**
 * The two optimizers CenterFusion's main.py builds, written out so that the learning rate can
 * change between epochs and the arithmetic follows PyTorch's update rules:
 *   adam: Adam(lr), betas (0.9, 0.999), eps 1e-8, no weight decay;
 *   sgd:  SGD(lr, momentum 0.9, weight_decay 1e-4), decay added to the gradient.
 * Their state (Adam's moments and step count, SGD's momentum buffers) can be read out and put
 * back, so that checkpoints carry it and --resume continues exactly where a run stopped.
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
  /** A copy of the state: step count and one slot per state tensor, in a stable order. */
  getState(): OptimizerState;
  /**
   * Replaces the state with a stored one for the parameters `vars`; slots whose parameter is
   * missing or whose shape differs are skipped. Returns a message per skipped slot.
   */
  setState(state: OptimizerState, vars: ReadonlyMap<string, tf.Variable>): string[];
  dispose(): void;
}

export interface OptimizerSlot {
  /** `<kind>/<parameter>`, kind as PyTorch names it: exp_avg, exp_avg_sq, momentum_buffer. */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface OptimizerState {
  step: number;
  slots: OptimizerSlot[];
}

function slotsOf(kind: string, map: ReadonlyMap<string, tf.Variable>): OptimizerSlot[] {
  return [...map].map(([param, v]) => ({ name: `${kind}/${param}`, shape: [...v.shape], values: Float32Array.from(v.dataSync() as Float32Array) }));
}

/** Fills `target` (kinds -> maps) from stored slots; returns messages for the slots skipped. */
function restoreSlots(state: OptimizerState, vars: ReadonlyMap<string, tf.Variable>, target: ReadonlyMap<string, Map<string, tf.Variable>>): string[] {
  const notes: string[] = [];
  for (const map of target.values()) {
    for (const t of map.values()) t.dispose();
    map.clear();
  }
  for (const slot of state.slots) {
    const cut = slot.name.indexOf('/');
    const map = cut > 0 ? target.get(slot.name.slice(0, cut)) : undefined;
    const param = vars.get(slot.name.slice(cut + 1));
    if (map === undefined || param === undefined) {
      notes.push(`No param for optimizer state ${slot.name}.`);
      continue;
    }
    if (slot.shape.length !== param.shape.length || slot.shape.some((d, i) => d !== param.shape[i])) {
      notes.push(`Skip loading optimizer state ${slot.name}, required shape [${param.shape.join(', ')}], loaded shape [${slot.shape.join(', ')}].`);
      continue;
    }
    map.set(slot.name.slice(cut + 1), tf.tidy(() => tf.variable(tf.tensor(slot.values, slot.shape, 'float32'), false)));
  }
  return notes;
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

  getState(): OptimizerState {
    return { step: this.t, slots: [...slotsOf('exp_avg', this.m), ...slotsOf('exp_avg_sq', this.v)] };
  }

  setState(state: OptimizerState, vars: ReadonlyMap<string, tf.Variable>): string[] {
    this.t = state.step;
    const notes = restoreSlots(state, vars, new Map([['exp_avg', this.m], ['exp_avg_sq', this.v]]));
    // A parameter needs both moments; one without the other starts again from zero.
    for (const name of [...this.m.keys(), ...this.v.keys()]) {
      if (this.m.has(name) && this.v.has(name)) continue;
      this.m.get(name)?.dispose();
      this.v.get(name)?.dispose();
      this.m.delete(name);
      this.v.delete(name);
    }
    return notes;
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
  /** Updates made (SGD's arithmetic does not use it; kept so that the state says where it is). */
  private t = 0;

  constructor(public lr: number) {}

  step(vars: ReadonlyMap<string, tf.Variable>, grads: Record<string, tf.Tensor>): void {
    this.t++;
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

  getState(): OptimizerState {
    return { step: this.t, slots: slotsOf('momentum_buffer', this.buf) };
  }

  setState(state: OptimizerState, vars: ReadonlyMap<string, tf.Variable>): string[] {
    this.t = state.step;
    return restoreSlots(state, vars, new Map([['momentum_buffer', this.buf]]));
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
