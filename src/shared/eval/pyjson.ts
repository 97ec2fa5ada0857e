/**
 * A JSON writer whose output is byte-identical to Python's `json.dump(obj, f, indent=N)` with
 * default settings (ensure_ascii, allow_nan): floats as `repr(float)` ("1.0", "1e-05",
 * "0.35000000000000003"), bare NaN / Infinity / -Infinity tokens, "key": value pairs, one item
 * per line, no trailing newline. JavaScript has no int/float distinction, so integers that Python
 * would hold as int are wrapped in PyInt by the caller.
 */

/** A number to be written as a Python int ("500", not "500.0"). */
export class PyInt {
  constructor(readonly value: number) {}
}

export type PyJson = null | boolean | string | number | PyInt | PyJson[] | { [key: string]: PyJson };

/** Python's repr() of a float, as json.dump writes it (NaN/Infinity spelled the JSON-module way). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const neg = x < 0;
  // toExponential() with no argument gives the shortest digits that round-trip, like repr.
  const e = Math.abs(x).toExponential();
  const at = e.indexOf('e');
  const digits = e.slice(0, at).replace('.', '');
  const exp10 = Number(e.slice(at + 1));
  const decpt = exp10 + 1; // value = 0.d1d2d3... × 10^decpt
  let out: string;
  if (decpt <= -4 || decpt > 16) {
    const mant = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const ex = Math.abs(exp10);
    out = `${mant}e${exp10 < 0 ? '-' : '+'}${ex < 10 ? '0' : ''}${ex}`;
  } else if (decpt <= 0) {
    out = `0.${'0'.repeat(-decpt)}${digits}`;
  } else if (decpt >= digits.length) {
    out = `${digits}${'0'.repeat(decpt - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  return neg ? `-${out}` : out;
}

/** Python's integer formatting of an integral number. */
function pyIntRepr(x: number): string {
  if (!Number.isInteger(x)) throw new Error(`PyInt holds a non-integer: ${x}`);
  if (Math.abs(x) < 1e21) return (Object.is(x, -0) ? 0 : x).toFixed(0);
  return BigInt(x).toString();
}

/** json.dumps string encoding with ensure_ascii=True. */
export function pyJsonString(s: string): string {
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(runStart, i);
    runStart = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      default:
        out += `\\u${c.toString(16).padStart(4, '0')}`;
    }
  }
  return `${out}${s.slice(runStart)}"`;
}

/** Serializes like Python's json.dumps(value, indent=indent). */
export function pyJsonDumps(value: PyJson, indent = 2): string {
  const parts: string[] = [];
  const pad = (level: number): string => `\n${' '.repeat(indent * level)}`;
  const write = (v: PyJson, level: number): void => {
    if (v === null) parts.push('null');
    else if (v === true) parts.push('true');
    else if (v === false) parts.push('false');
    else if (typeof v === 'string') parts.push(pyJsonString(v));
    else if (typeof v === 'number') parts.push(pyFloatRepr(v));
    else if (v instanceof PyInt) parts.push(pyIntRepr(v.value));
    else if (Array.isArray(v)) {
      if (v.length === 0) {
        parts.push('[]');
        return;
      }
      const inner = pad(level + 1);
      parts.push('[');
      for (let i = 0; i < v.length; i++) {
        parts.push(i === 0 ? inner : `,${inner}`);
        write(v[i], level + 1);
      }
      parts.push(pad(level), ']');
    } else {
      const keys = Object.keys(v);
      if (keys.length === 0) {
        parts.push('{}');
        return;
      }
      const inner = pad(level + 1);
      parts.push('{');
      for (let i = 0; i < keys.length; i++) {
        parts.push(i === 0 ? inner : `,${inner}`, pyJsonString(keys[i]), ': ');
        write(v[keys[i]], level + 1);
      }
      parts.push(pad(level), '}');
    }
  };
  write(value, 0);
  return parts.join('');
}

/**
 * Converts a value read from JSON (e.g. a submission's meta) to PyJson: integral numbers become
 * Python ints (a float written as "1.0" in the source cannot be told apart once parsed).
 */
export function toPyJson(v: unknown): PyJson {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? new PyInt(v) : v;
  if (Array.isArray(v)) return v.map(toPyJson);
  if (typeof v === 'object') {
    const out: { [key: string]: PyJson } = {};
    for (const k of Object.keys(v)) {
      defineKey(out, k, toPyJson((v as Record<string, unknown>)[k]));
    }
    return out;
  }
  return String(v);
}

/** Sets an own enumerable property, "__proto__" included. */
export function defineKey<T>(obj: Record<string, T>, k: string, value: T): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value, writable: true, enumerable: true, configurable: true });
  else obj[k] = value;
}

/**
 * Python's '%.<digits>f' % x: correctly rounded with ties to even ("%.2f" % 0.125 is "0.12",
 * where toFixed gives "0.13"), and "nan", "inf", "-inf".
 */
export function pyFormatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s: string;
  if (a >= 1e21) {
    s = BigInt(a).toString() + (digits > 0 ? `.${'0'.repeat(digits)}` : '');
  } else {
    s = a.toFixed(digits);
    // toFixed breaks exact ties upwards; Python breaks them to even. |x|·10^d is an exact tie iff
    // |x|·2^(d+1) is an odd integer (the power of 5 in 10^d is odd).
    const scaled = a * 2 ** (digits + 1);
    if (Number.isInteger(scaled) && scaled % 2 === 1) {
      const last = s.charCodeAt(s.length - 1) - 48;
      if (last % 2 === 1) s = s.slice(0, -1) + String(last - 1);
    }
  }
  return neg ? `-${s}` : s;
}
