/**
 * A JSON reader that also accepts the bare NaN, Infinity and -Infinity tokens Python's json
 * module writes (and reads). Strings are never touched: "NaN" inside a string stays a string.
 *
 * - Text without those tokens goes straight to JSON.parse.
 * - Otherwise the tokens found outside strings are swapped for sentinel strings, JSON.parse reads
 *   the result and a walk turns the sentinels back into NaN / ±Infinity. A small
 *   recursive-descent parser handles the rare texts where a sentinel could collide, and produces
 *   the line/column of syntax errors.
 * - Bytes (a file's content) above 32 MiB are read in slices: the large containers are walked at
 *   byte level and their elements parsed in groups of about 4 MiB. So a val-set submission with
 *   500 boxes per sample (over 1 GB, more than one JavaScript string can hold) loads.
 *
 * Objects keep the key order of the text, except that JavaScript always lists integer-like
 * keys ("0", "17") first; duplicate keys keep the last value (as JSON.parse and Python do).
 */

/** A syntax error, with the 1-based line and column (or the byte offset for sliced input). */
export class JsonSyntaxError extends SyntaxError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

const MAX_DEPTH = 5000;

function lineCol(text: string, index: number): string {
  let line = 1;
  let last = -1;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return `line ${line} column ${index - last}`;
}

function setKey(obj: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
  else obj[k] = v;
}

/** Recursive-descent parser over a string; only used when the text holds non-finite tokens. */
class TextParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  parseDocument(): unknown {
    this.skipWs();
    const v = this.value(0);
    this.skipWs();
    if (this.pos < this.s.length) this.fail('unexpected data after the JSON value');
    return v;
  }

  private fail(what: string, at: number = this.pos): never {
    const found = at < this.s.length ? JSON.stringify(this.s.slice(at, at + 12)) : 'end of input';
    throw new JsonSyntaxError(`${what} at ${lineCol(this.s, at)} (found ${found})`, at);
  }

  private skipWs(): void {
    const s = this.s;
    let p = this.pos;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  private literal(word: string, value: unknown): unknown {
    if (this.s.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    return this.fail('invalid token');
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      case 0x4e: // N
        return this.literal('NaN', NaN);
      case 0x49: // I
        return this.literal('Infinity', Infinity);
      case 0x2d: // -
        if (this.s.charCodeAt(this.pos + 1) === 0x49) {
          this.pos++;
          return this.literal('Infinity', -Infinity);
        }
        return this.number();
      default:
        if (c >= 0x30 && c <= 0x39) return this.number();
        return this.fail(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }

  private object(depth: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    this.pos++;
    this.skipWs();
    if (this.s.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return obj;
    }
    for (;;) {
      if (this.s.charCodeAt(this.pos) !== 0x22) this.fail('expected a string key');
      const k = this.string();
      this.skipWs();
      if (this.s.charCodeAt(this.pos) !== 0x3a) this.fail("expected ':'");
      this.pos++;
      this.skipWs();
      setKey(obj, k, this.value(depth + 1));
      this.skipWs();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWs();
      } else if (c === 0x7d) {
        this.pos++;
        return obj;
      } else this.fail("expected ',' or '}'");
    }
  }

  private array(depth: number): unknown[] {
    const arr: unknown[] = [];
    this.pos++;
    this.skipWs();
    if (this.s.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.value(depth + 1));
      this.skipWs();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWs();
      } else if (c === 0x5d) {
        this.pos++;
        return arr;
      } else this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    const s = this.s;
    const start = this.pos;
    let p = start + 1;
    let escaped = false;
    for (;;) {
      if (p >= s.length) this.fail('unterminated string', start);
      const c = s.charCodeAt(p);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        p += 2;
        continue;
      }
      if (c < 0x20) this.fail('control character in string', p);
      p++;
    }
    this.pos = p + 1;
    if (!escaped) return s.slice(start + 1, p);
    try {
      return JSON.parse(s.slice(start, p + 1)) as string;
    } catch {
      return this.fail('invalid escape in string', start);
    }
  }

  private number(): number {
    const s = this.s;
    const start = this.pos;
    let p = start;
    const digits = (): void => {
      const from = p;
      while (p < s.length && s.charCodeAt(p) >= 0x30 && s.charCodeAt(p) <= 0x39) p++;
      if (p === from) this.fail('invalid number', start);
    };
    if (s.charCodeAt(p) === 0x2d) p++;
    if (s.charCodeAt(p) === 0x30) p++;
    else digits();
    if (s.charCodeAt(p) === 0x2e) {
      p++;
      digits();
    }
    const e = s.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      p++;
      const sign = s.charCodeAt(p);
      if (sign === 0x2b || sign === 0x2d) p++;
      digits();
    }
    this.pos = p;
    return Number(s.slice(start, p));
  }
}

/**
 * Stand-ins for the non-finite tokens: JSON strings starting with U+0000. A document that already
 * spells "\\u0000" anywhere is parsed by the recursive parser instead, so they cannot collide.
 */
const SENTINEL_NAN = '\u0000NaN';
const SENTINEL_INF = '\u0000+Inf';
const SENTINEL_NINF = '\u0000-Inf';
const SENTINEL_VALUE: ReadonlyMap<string, number> = new Map([
  [SENTINEL_NAN, NaN],
  [SENTINEL_INF, Infinity],
  [SENTINEL_NINF, -Infinity],
]);
const QUOTED_NAN = JSON.stringify(SENTINEL_NAN);
const QUOTED_INF = JSON.stringify(SENTINEL_INF);
const QUOTED_NINF = JSON.stringify(SENTINEL_NINF);

/**
 * Next occurrence of "NaN" or "Infinity" at or after `from`, or -1 (native searches only).
 * `state` caches the next position of each word: -1 none left, -2 not searched yet.
 */
function nextCandidate(text: string, from: number, state: { nan: number; inf: number }): number {
  if (state.nan !== -1 && state.nan < from) state.nan = text.indexOf('NaN', from);
  if (state.inf !== -1 && state.inf < from) state.inf = text.indexOf('Infinity', from);
  if (state.nan === -1) return state.inf;
  if (state.inf === -1) return state.nan;
  return Math.min(state.nan, state.inf);
}

/**
 * Replaces NaN / Infinity / -Infinity outside strings by sentinel strings; null when there is
 * none. Candidates are found with indexOf, and whether one sits inside a string is decided by
 * the parity of the unescaped quotes before it, also found with indexOf, so the text is never
 * walked character by character. Anything else is left for JSON.parse to accept or reject.
 */
function replaceNonFinite(text: string): string | null {
  const state = { nan: -2, inf: -2 };
  const parts: string[] = [];
  let from = 0; // start of the text not copied to parts yet
  let inString = false;
  let quote = text.indexOf('"'); // next quote not yet accounted for
  let at = nextCandidate(text, 0, state);
  while (at !== -1) {
    // Account for the quotes before the candidate.
    while (quote !== -1 && quote < at) {
      if (!inString) inString = true;
      else {
        let bs = 0;
        while (text.charCodeAt(quote - 1 - bs) === 0x5c) bs++;
        if (bs % 2 === 0) inString = false;
      }
      quote = text.indexOf('"', quote + 1);
    }
    let len = 0;
    if (!inString) {
      if (text.charCodeAt(at) === 0x4e) {
        len = 3;
        parts.push(text.slice(from, at), QUOTED_NAN);
      } else if (text.charCodeAt(at - 1) === 0x2d) {
        len = 8;
        parts.push(text.slice(from, at - 1), QUOTED_NINF);
      } else {
        len = 8;
        parts.push(text.slice(from, at), QUOTED_INF);
      }
      from = at + len;
    }
    at = nextCandidate(text, at + Math.max(len, 1), state);
  }
  if (parts.length === 0) return null;
  parts.push(text.slice(from));
  return parts.join('');
}

/** Turns sentinel strings back into numbers, in place; false if one was used as a key. */
function restoreNonFinite(root: unknown): { value: unknown; ok: boolean } {
  if (typeof root === 'string') return { value: SENTINEL_VALUE.get(root) ?? root, ok: true };
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v === 'string') {
          const r = v.charCodeAt(0) === 0 ? SENTINEL_VALUE.get(v) : undefined;
          if (r !== undefined) node[i] = r;
        } else if (v !== null && typeof v === 'object') stack.push(v);
      }
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      for (const k in obj) {
        if (k.charCodeAt(0) === 0 && SENTINEL_VALUE.has(k)) return { value: undefined, ok: false };
        const v = obj[k];
        if (typeof v === 'string') {
          const r = v.charCodeAt(0) === 0 ? SENTINEL_VALUE.get(v) : undefined;
          if (r !== undefined) setKey(obj, k, r);
        } else if (v !== null && typeof v === 'object') stack.push(v);
      }
    }
  }
  return { value: root, ok: true };
}

function parseText(text: string): unknown {
  // The sentinels cannot collide unless the text spells U+0000 itself.
  const replaced = text.includes('\\u0000') ? undefined : replaceNonFinite(text);
  if (replaced !== undefined) {
    try {
      const parsed: unknown = JSON.parse(replaced ?? text);
      if (replaced === null) return parsed;
      const restored = restoreNonFinite(parsed);
      if (restored.ok) return restored.value;
    } catch {
      // Fall through: the parser below reports the error with line and column.
    }
  }
  return new TextParser(text).parseDocument();
}

/** Decoding text from bytes: UTF-8, a leading byte-order mark ignored, invalid bytes rejected. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decode(bytes: Uint8Array, start: number, end: number): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch (e) {
    if (e instanceof TypeError) throw new JsonSyntaxError(`invalid UTF-8 between bytes ${start} and ${end}`, start);
    throw e;
  }
}

export interface ParseJsonOptions {
  /**
   * Byte inputs up to this size are decoded to one string (default 32 MiB); larger ones are
   * parsed in slices of about `sliceBytes` (default 4 MiB), which also keeps memory low (no
   * giant string and no giant copy of it). Tests lower both to exercise slicing.
   */
  wholeBytes?: number;
  sliceBytes?: number;
}

/**
 * Parses JSON text or UTF-8 bytes, accepting bare NaN, Infinity and -Infinity (as Python's
 * json module writes them) outside strings. null stays null. Throws JsonSyntaxError.
 */
export function parseJsonWithNaN(input: string | Uint8Array, opts: ParseJsonOptions = {}): unknown {
  if (typeof input === 'string') {
    return parseText(input.charCodeAt(0) === 0xfeff ? input.slice(1) : input);
  }
  const whole = opts.wholeBytes ?? 32 * 1024 * 1024;
  if (input.length <= whole) return parseText(decode(input, 0, input.length));
  return new SlicedParser(input, Math.max(1, opts.sliceBytes ?? 4 * 1024 * 1024)).parseDocument();
}

const B_QUOTE = 0x22;
const B_BACKSLASH = 0x5c;
const B_COMMA = 0x2c;
const B_COLON = 0x3a;
const B_LBRACE = 0x7b;
const B_RBRACE = 0x7d;
const B_LBRACKET = 0x5b;
const B_RBRACKET = 0x5d;

/** Bytes the sliced reader must look at: quotes, brackets and commas. */
const STRUCTURAL = new Uint8Array(256);
for (const c of [B_QUOTE, B_COMMA, B_LBRACE, B_RBRACE, B_LBRACKET, B_RBRACKET]) STRUCTURAL[c] = 1;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Walks a large byte buffer: containers whose elements together exceed one slice are read
 * element by element, consecutive elements being parsed together as one JSON text of about
 * `slice` bytes; an element that is itself too large is walked the same way.
 */
class SlicedParser {
  constructor(
    private readonly b: Uint8Array,
    private readonly slice: number,
  ) {}

  parseDocument(): unknown {
    let p = 0;
    const b = this.b;
    if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) p = 3;
    p = this.skipWs(p);
    const c = b[p];
    let value: unknown;
    let end: number;
    if (c === B_LBRACE || c === B_LBRACKET) [value, end] = this.container(p, 0);
    else {
      end = this.b.length;
      value = this.parseSpan(p, end, '', '');
    }
    end = this.skipWs(end);
    if (end < b.length) throw new JsonSyntaxError(`unexpected data after the JSON value at byte ${end}`, end);
    return value;
  }

  private skipWs(p: number): number {
    const b = this.b;
    while (p < b.length && isWs(b[p])) p++;
    return p;
  }

  /** Index just after the closing quote of the string starting at p. */
  private stringEnd(p: number): number {
    const b = this.b;
    let i = p + 1;
    while (i < b.length) {
      const c = b[i];
      if (c === B_QUOTE) return i + 1;
      i += c === B_BACKSLASH ? 2 : 1;
    }
    throw new JsonSyntaxError(`unterminated string starting at byte ${p}`, p);
  }

  private parseSpan(start: number, end: number, open: string, close: string): unknown {
    const text = open + decode(this.b, start, end) + close;
    try {
      return parseText(text);
    } catch (e) {
      if (e instanceof JsonSyntaxError) {
        throw new JsonSyntaxError(`${e.message} [in the slice starting at byte ${start}]`, start + e.offset);
      }
      throw e;
    }
  }

  /** Parses the container opening at p; returns it and the index after its closing bracket. */
  private container(p: number, depth: number): [unknown, number] {
    if (depth > 64) throw new JsonSyntaxError(`large containers nested deeper than 64 at byte ${p}`, p);
    const b = this.b;
    const n = b.length;
    const isObj = b[p] === B_LBRACE;
    const closeByte = isObj ? B_RBRACE : B_RBRACKET;
    const open = isObj ? '{' : '[';
    const close = isObj ? '}' : ']';
    const obj: Record<string, unknown> = {};
    const arr: unknown[] = [];
    const flush = (from: number, to: number): void => {
      const part = this.parseSpan(from, to, open, close);
      if (isObj) {
        const src = part as Record<string, unknown>;
        for (const k of Object.keys(src)) setKey(obj, k, src[k]);
      } else {
        for (const v of part as unknown[]) arr.push(v);
      }
    };
    const blank = (from: number, to: number): boolean => {
      for (let k = from; k < to; k++) if (!isWs(b[k])) return false;
      return true;
    };
    let groupStart = p + 1; // first byte of the elements not parsed yet
    let elemStart = p + 1; // first byte of the element being read
    let sawComma = false;
    let depthIn = 0; // nesting inside the current element
    let nestedStart = -1; // where the current element's outermost container opens
    let i = p + 1;
    for (;;) {
      while (i < n && STRUCTURAL[b[i]] === 0) i++;
      if (i >= n) break;
      const c = b[i];
      if (c === B_QUOTE) {
        i = this.stringEnd(i);
        continue;
      }
      if (c === B_LBRACE || c === B_LBRACKET) {
        if (depthIn === 0) nestedStart = i;
        depthIn++;
        if (i - groupStart > this.slice && depthIn === 1) {
          // This element starts beyond a full slice: parse what precedes it first.
          if (!blank(groupStart, elemStart)) flush(groupStart, elemStart - 1);
          groupStart = elemStart;
        }
      } else if (c === B_RBRACE || c === B_RBRACKET) {
        if (depthIn === 0) {
          if (c !== closeByte) throw new JsonSyntaxError(`mismatched '${String.fromCharCode(c)}' at byte ${i}`, i);
          if (!blank(groupStart, i)) flush(groupStart, i);
          else if (sawComma) throw new JsonSyntaxError(`trailing ',' before byte ${i}`, i);
          return [isObj ? obj : arr, i + 1];
        }
        depthIn--;
      } else if (c === B_COMMA && depthIn === 0) {
        if (i - groupStart >= this.slice) {
          flush(groupStart, i);
          groupStart = i + 1;
        }
        elemStart = i + 1;
        sawComma = true;
      }
      if (depthIn > 0 && i - groupStart > this.slice) {
        // The element being read is larger than a slice: parse the elements before it, then walk
        // it on its own.
        if (!blank(groupStart, elemStart)) flush(groupStart, elemStart - 1);
        let name = '';
        if (isObj) {
          const ks = this.skipWs(elemStart);
          if (b[ks] !== B_QUOTE) throw new JsonSyntaxError(`expected a string key at byte ${ks}`, ks);
          const ke = this.stringEnd(ks);
          name = this.parseSpan(ks, ke, '', '') as string;
          const colon = this.skipWs(ke);
          if (b[colon] !== B_COLON || this.skipWs(colon + 1) !== nestedStart) {
            throw new JsonSyntaxError(`malformed member at byte ${elemStart}`, elemStart);
          }
        } else if (this.skipWs(elemStart) !== nestedStart) {
          throw new JsonSyntaxError(`malformed element at byte ${elemStart}`, elemStart);
        }
        const [v, after] = this.container(nestedStart, depth + 1);
        if (isObj) setKey(obj, name, v);
        else arr.push(v);
        // Only ',' or the closing bracket may follow.
        i = this.skipWs(after);
        if (b[i] === closeByte) return [isObj ? obj : arr, i + 1];
        if (b[i] !== B_COMMA) throw new JsonSyntaxError(`expected ',' or '${close}' at byte ${i}`, i);
        i++;
        groupStart = elemStart = i;
        sawComma = true;
        depthIn = 0;
        nestedStart = -1;
        continue;
      }
      i++;
    }
    throw new JsonSyntaxError(`unterminated '${open}' starting at byte ${p}`, p);
  }
}
