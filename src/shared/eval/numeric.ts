/**
 * Float64 numeric primitives that reproduce the exact results of the numpy/Python operations
 * the official evaluation relies on. Each function documents the behaviour it reproduces;
 * the tests pin the cases where a naive version would differ.
 */

/**
 * numpy.linspace(start, stop, num) with endpoint=True: element i is `i * step + start`
 * where step = (stop - start) / (num - 1), and the last element is exactly `stop`.
 * (For 0..1 with 101 points this differs from i / 100 in the last bit at ten indices.)
 */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 0) return out;
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  for (let i = 0; i < num; i++) {
    // numpy multiplies by the step unless it underflows to 0; then it divides first.
    out[i] = (step === 0 ? (i / div) * delta : i * step) + start;
  }
  out[num - 1] = stop;
  return out;
}

/** The 101-point recall grid: numpy.linspace(0, 1, 101). */
export const RECALL_GRID: Float64Array = linspace(0, 1, 101);

/**
 * Index of the last element of the non-decreasing array `xp` that is <= key, -1 when key is
 * below xp[0], xp.length when key is above the last element. For sorted input this is what
 * numpy's interp search returns, repeated values included.
 */
function searchLastLe(key: number, xp: ArrayLike<number>, n: number): number {
  if (key > xp[n - 1]) return n;
  if (key < xp[0]) return -1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    if (key >= xp[mid]) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * numpy.interp(x, xp, fp, left, right) for float64 with non-decreasing xp:
 * - below xp[0] -> left (default fp[0]); above the last xp -> right (default fp[last]);
 * - x equal to one or several equal xp -> the fp of the LAST of them;
 * - otherwise slope * (x - xp[j]) + fp[j], slope = (fp[j+1] - fp[j]) / (xp[j+1] - xp[j]), with
 *   numpy's retries when that gives NaN; NaN x gives NaN.
 */
export function interp(
  x: ArrayLike<number>,
  xp: ArrayLike<number>,
  fp: ArrayLike<number>,
  left?: number,
  right?: number,
): Float64Array {
  const n = xp.length;
  if (n === 0 || fp.length !== n) throw new Error('interp: xp and fp must be non-empty and of equal length');
  const lval = left === undefined ? fp[0] : left;
  const rval = right === undefined ? fp[n - 1] : right;
  const out = new Float64Array(x.length);
  if (n === 1) {
    const x0 = xp[0];
    const f0 = fp[0];
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v < x0 ? lval : v > x0 ? rval : f0;
    }
    return out;
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isNaN(v)) {
      out[i] = v;
      continue;
    }
    const j = searchLastLe(v, xp, n);
    if (j === -1) out[i] = lval;
    else if (j === n) out[i] = rval;
    else if (j === n - 1) out[i] = fp[j];
    else if (xp[j] === v) out[i] = fp[j];
    else {
      const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
      let r = slope * (v - xp[j]) + fp[j];
      if (Number.isNaN(r)) {
        r = slope * (v - xp[j + 1]) + fp[j + 1];
        if (Number.isNaN(r) && fp[j] === fp[j + 1]) r = fp[j];
      }
      out[i] = r;
    }
  }
  return out;
}

/** numpy's pairwise summation of float64 (8 accumulators up to 128 elements, then halving). */
function pairwiseSum(a: ArrayLike<number>, off: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[off + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[off];
    let r1 = a[off + 1];
    let r2 = a[off + 2];
    let r3 = a[off + 3];
    let r4 = a[off + 4];
    let r5 = a[off + 5];
    let r6 = a[off + 6];
    let r7 = a[off + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const p = off + i;
      r0 += a[p];
      r1 += a[p + 1];
      r2 += a[p + 2];
      r3 += a[p + 3];
      r4 += a[p + 4];
      r5 += a[p + 5];
      r6 += a[p + 6];
      r7 += a[p + 7];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[off + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
}

/** numpy.sum of a[start:end] (float64): the identity 0 plus the pairwise sum. */
export function npSum(a: ArrayLike<number>, start = 0, end: number = a.length): number {
  return 0 + pairwiseSum(a, start, Math.max(0, end - start));
}

/** numpy.mean of a[start:end]; NaN for an empty range (numpy warns and returns NaN). */
export function npMean(a: ArrayLike<number>, start = 0, end: number = a.length): number {
  const n = end - start;
  if (n <= 0) return NaN;
  return npSum(a, start, end) / n;
}

/** numpy.nanmean of a float64 array: NaNs replaced by 0 for the sum and not counted. */
export function npNanMean(a: ArrayLike<number>): number {
  const tmp = new Float64Array(a.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (Number.isNaN(v)) tmp[i] = 0;
    else {
      tmp[i] = v;
      count++;
    }
  }
  return npSum(tmp) / count;
}

/**
 * The devkit's NaN-aware running mean: running sum of the non-NaN values divided by their
 * running count (0 while none has been seen); a list made only of NaNs becomes all ones.
 */
export function cumulativeMean(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  let nanCount = 0;
  for (let i = 0; i < n; i++) if (Number.isNaN(x[i])) nanCount++;
  if (nanCount === n) {
    out.fill(1);
    return out;
  }
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
    out[i] = count !== 0 ? sum / count : 0;
  }
  return out;
}

/** Python's float modulo: the result takes the sign of the divisor (JS `%` takes the dividend's). */
export function pyMod(a: number, b: number): number {
  const m = a % b;
  if (m !== 0) return b < 0 !== m < 0 ? m + b : m;
  return b < 0 ? -0 : 0;
}

/** Python 3 round() to an integer: halves go to the even neighbour. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
