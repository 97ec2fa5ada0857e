/**
 * A small reader for the Python literals CenterFusion writes into its text output: `repr()` and
 * `str()` of lists, tuples, dicts, sets, strings (both quote styles, escapes, r/u/b prefixes),
 * bytes (`b'abc\n'`), ints and floats (`1e-05`, `0.000125`, `inf`, `nan`), True, False, None.
 *
 * Pure TypeScript (no node:*, no DOM). Nothing here throws to the caller: parse failures come
 * back as `{ ok: false }` results with a reason and an offset.
 */

/** A Python literal as JavaScript sees it: tuples and sets become arrays, dict keys strings. */
export type PyValue = null | boolean | number | string | PyValue[] | { [key: string]: PyValue };

export type PyParseResult = { ok: true; value: PyValue } | { ok: false; error: string; at: number };

/** Containers nested deeper than this are refused (protects the call stack from `[[[[...`). */
const MAX_DEPTH = 200;

class PyParseError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Sets a key without letting `__proto__` reach the prototype setter. */
function setKey(obj: { [key: string]: PyValue }, key: string, value: PyValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** Python's str() of a dict key that is not a string (used as the JavaScript key). */
function keyText(key: PyValue): string {
  if (key === null) return 'None';
  if (key === true) return 'True';
  if (key === false) return 'False';
  if (typeof key === 'number') {
    if (Number.isNaN(key)) return 'nan';
    if (!Number.isFinite(key)) return key > 0 ? 'inf' : '-inf';
    return String(key);
  }
  if (typeof key === 'string') return key;
  return JSON.stringify(key);
}

const NUMBER = /[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d[\d_]*)?|\d[\d_]*\.)/y;

/** UTF-8 bytes to text, bad sequences becoming U+FFFD (TextDecoder exists in node and browsers). */
function decodeUtf8(bytes: number[]): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(bytes));
}

function pushUtf8(bytes: number[], cp: number): void {
  if (cp < 0x80) bytes.push(cp);
  else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

class Parser {
  pos = 0;

  constructor(readonly s: string) {}

  fail(message: string, at: number = this.pos): never {
    throw new PyParseError(message, at);
  }

  skipWs(): void {
    const s = this.s;
    let p = this.pos;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) p++;
      else break;
    }
    this.pos = p;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    this.skipWs();
    const s = this.s;
    if (this.pos >= s.length) this.fail('unexpected end of text');
    const c = s.charCodeAt(this.pos);
    if (c === 0x5b /* [ */) return this.sequence(depth, 0x5d);
    if (c === 0x28 /* ( */) return this.sequence(depth, 0x29);
    if (c === 0x7b /* { */) return this.braces(depth);
    if (c === 0x27 || c === 0x22) return this.string('');
    if (isIdentStart(c)) {
      const start = this.pos;
      let p = start;
      while (p < s.length && isIdentPart(s.charCodeAt(p))) p++;
      const word = s.slice(start, p);
      const next = s.charCodeAt(p);
      if ((next === 0x27 || next === 0x22) && /^(?:[rRuUbB]|[bB][rR]|[rR][bB])$/.test(word)) {
        this.pos = p;
        return this.string(word.toLowerCase());
      }
      this.pos = p;
      switch (word) {
        case 'True':
          return true;
        case 'False':
          return false;
        case 'None':
          return null;
        case 'inf':
        case 'Infinity':
          return Number.POSITIVE_INFINITY;
        case 'nan':
        case 'NaN':
          return Number.NaN;
        default:
          break;
      }
      if (word === 'set' && s.startsWith('()', p)) {
        this.pos = p + 2;
        return [];
      }
      return this.fail(`unknown name "${word.length > 20 ? `${word.slice(0, 20)}…` : word}"`, start);
    }
    return this.number();
  }

  number(): number {
    const s = this.s;
    const start = this.pos;
    let sign = 1;
    let p = start;
    const c = s.charCodeAt(p);
    if (c === 0x2d || c === 0x2b) {
      sign = c === 0x2d ? -1 : 1;
      // -inf, -nan as Python prints them.
      const rest = s.slice(p + 1, p + 4);
      if (rest === 'inf' && !isIdentPart(s.charCodeAt(p + 4))) {
        this.pos = p + 4;
        return sign * Number.POSITIVE_INFINITY;
      }
      if (rest === 'nan' && !isIdentPart(s.charCodeAt(p + 4))) {
        this.pos = p + 4;
        return Number.NaN;
      }
    }
    NUMBER.lastIndex = start;
    const m = NUMBER.exec(s);
    if (m === null || m[0].length === 0 || m[0] === '+' || m[0] === '-') return this.fail('expected a value');
    p = start + m[0].length;
    // A name glued to the number (`12abc`) is not a literal.
    if (p < s.length && (isIdentPart(s.charCodeAt(p)) || s.charCodeAt(p) === 0x2e)) {
      // Python complex numbers (`1j`) and the like are not literals this reader supports.
      this.fail('malformed number', start);
    }
    this.pos = p;
    const text = m[0].replace(/_/g, '');
    const body = text.replace(/^[+-]/, '');
    let v: number;
    const neg = text.startsWith('-');
    if (/^0[xX]/.test(body)) v = parseInt(body.slice(2), 16);
    else if (/^0[oO]/.test(body)) v = parseInt(body.slice(2), 8);
    else if (/^0[bB]/.test(body)) v = parseInt(body.slice(2), 2);
    else v = Number(body);
    if (Number.isNaN(v)) return this.fail('malformed number', start);
    return neg ? -v : v;
  }

  /** A quoted string; `prefix` holds the letters before the quote (lower case). */
  string(prefix: string): string {
    const s = this.s;
    const quote = s.charCodeAt(this.pos);
    const start = this.pos;
    const raw = prefix.includes('r');
    const bytes = prefix.includes('b');
    // Triple quotes: Python's repr never writes them, but str() of user text could.
    const triple = s.charCodeAt(start + 1) === quote && s.charCodeAt(start + 2) === quote;
    let p = start + (triple ? 3 : 1);
    let out = '';
    const buf: number[] = [];
    const emitChar = (text: string): void => {
      if (bytes) {
        for (const ch of text) pushUtf8(buf, ch.codePointAt(0) ?? 0xfffd);
      } else out += text;
    };
    const emitByte = (b: number): void => {
      if (bytes) buf.push(b & 0xff);
      else out += String.fromCharCode(b);
    };
    for (;;) {
      if (p >= s.length) this.fail('unterminated string', start);
      const c = s.charCodeAt(p);
      if (c === quote) {
        if (!triple) {
          p++;
          break;
        }
        if (s.charCodeAt(p + 1) === quote && s.charCodeAt(p + 2) === quote) {
          p += 3;
          break;
        }
        emitChar(s[p]);
        p++;
        continue;
      }
      if (!triple && (c === 10 || c === 13)) this.fail('line break inside a string', p);
      if (c !== 0x5c /* \ */) {
        // Copy a run of plain characters at once.
        let q = p + 1;
        while (q < s.length) {
          const d = s.charCodeAt(q);
          if (d === quote || d === 0x5c || (!triple && (d === 10 || d === 13))) break;
          q++;
        }
        emitChar(s.slice(p, q));
        p = q;
        continue;
      }
      // Backslash.
      if (p + 1 >= s.length) this.fail('unterminated string', start);
      const e = s[p + 1];
      if (raw) {
        // In raw strings a backslash only keeps the next character from ending the string.
        emitChar(s.slice(p, p + 2));
        p += 2;
        continue;
      }
      p += 2;
      switch (e) {
        case '\n':
          break;
        case '\\':
          emitChar('\\');
          break;
        case "'":
          emitChar("'");
          break;
        case '"':
          emitChar('"');
          break;
        case 'n':
          emitChar('\n');
          break;
        case 'r':
          emitChar('\r');
          break;
        case 't':
          emitChar('\t');
          break;
        case 'a':
          emitChar('\x07');
          break;
        case 'b':
          emitChar('\b');
          break;
        case 'f':
          emitChar('\f');
          break;
        case 'v':
          emitChar('\v');
          break;
        case 'x': {
          const hex = s.slice(p, p + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('bad \\x escape', p - 2);
          emitByte(parseInt(hex, 16));
          p += 2;
          break;
        }
        case 'u':
        case 'U': {
          const n = e === 'u' ? 4 : 8;
          const hex = s.slice(p, p + n);
          if (bytes || !new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) {
            // In bytes \u is not an escape: keep it as written.
            if (bytes) {
              emitChar(`\\${e}`);
              break;
            }
            this.fail(`bad \\${e} escape`, p - 2);
          }
          const cp = parseInt(hex, 16);
          emitChar(cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd');
          p += n;
          break;
        }
        default: {
          if (e >= '0' && e <= '7') {
            let q = p - 1;
            let v = 0;
            while (q < p + 2 && q < s.length && s[q] >= '0' && s[q] <= '7') {
              v = v * 8 + (s.charCodeAt(q) - 48);
              q++;
            }
            p = q;
            if (bytes) emitByte(v);
            else emitChar(String.fromCharCode(v));
          } else {
            // Unknown escapes stay as written (Python's rule).
            emitChar(`\\${e}`);
          }
        }
      }
    }
    this.pos = p;
    return bytes ? decodeUtf8(buf) : out;
  }

  /** `[...]` or `(...)`, both as arrays. */
  sequence(depth: number, close: number): PyValue[] {
    const s = this.s;
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.skipWs();
      if (this.pos >= s.length) this.fail('unterminated list or tuple');
      if (s.charCodeAt(this.pos) === close) {
        this.pos++;
        return items;
      }
      items.push(this.value(depth + 1));
      this.skipWs();
      const c = s.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === close) {
        this.pos++;
        return items;
      }
      this.fail(`expected "," or "${String.fromCharCode(close)}"`);
    }
  }

  /** `{k: v, ...}` (a dict) or `{a, b}` (a set, as an array). */
  braces(depth: number): PyValue {
    const s = this.s;
    this.pos++;
    this.skipWs();
    if (s.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return {};
    }
    const first = this.value(depth + 1);
    this.skipWs();
    if (s.charCodeAt(this.pos) !== 0x3a /* : */) {
      // A set.
      const items: PyValue[] = [first];
      for (;;) {
        this.skipWs();
        const c = s.charCodeAt(this.pos);
        if (c === 0x7d) {
          this.pos++;
          return items;
        }
        if (c !== 0x2c) this.fail('expected "," or "}"');
        this.pos++;
        this.skipWs();
        if (s.charCodeAt(this.pos) === 0x7d) {
          this.pos++;
          return items;
        }
        items.push(this.value(depth + 1));
      }
    }
    const obj: { [key: string]: PyValue } = {};
    let key = first;
    for (;;) {
      // At the colon after a key.
      this.pos++;
      setKey(obj, keyText(key), this.value(depth + 1));
      this.skipWs();
      const c = s.charCodeAt(this.pos);
      if (c === 0x7d) {
        this.pos++;
        return obj;
      }
      if (c !== 0x2c) this.fail('expected "," or "}"');
      this.pos++;
      this.skipWs();
      if (s.charCodeAt(this.pos) === 0x7d) {
        this.pos++;
        return obj;
      }
      key = this.value(depth + 1);
      this.skipWs();
      if (s.charCodeAt(this.pos) !== 0x3a) this.fail('expected ":" after a dict key');
    }
  }
}

/**
 * Parses one Python literal that must fill the whole text (surrounding whitespace allowed).
 * Never throws.
 */
export function parsePyLiteral(text: string): PyParseResult {
  const p = new Parser(text);
  try {
    const value = p.value(0);
    p.skipWs();
    if (p.pos < text.length) return { ok: false, error: 'unexpected text after the value', at: p.pos };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof PyParseError) return { ok: false, error: e.message, at: e.at };
    // RangeError (stack) or a bug: report, do not throw.
    return { ok: false, error: e instanceof Error ? e.message : String(e), at: p.pos };
  }
}

export interface KwargsResult {
  /** name -> value; a value that is not a literal (e.g. `device(type='cuda')`) is kept as its text. */
  values: Record<string, PyValue>;
  /** Names whose value was kept as raw text. */
  rawNames: string[];
  problems: string[];
}

/**
 * Finds where one keyword value ends: the next `,` at bracket depth 0 outside strings, or the
 * end of the text. Used to skip a value that is not a literal.
 */
function skipRawValue(s: string, from: number): number {
  let depth = 0;
  let p = from;
  while (p < s.length) {
    const c = s.charCodeAt(p);
    if (c === 0x27 || c === 0x22) {
      // Skip a quoted run (escapes respected).
      let q = p + 1;
      while (q < s.length && s.charCodeAt(q) !== c) q += s.charCodeAt(q) === 0x5c ? 2 : 1;
      p = q + 1;
      continue;
    }
    if (c === 0x28 || c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x29 || c === 0x5d || c === 0x7d) depth = Math.max(0, depth - 1);
    else if (c === 0x2c && depth === 0) return p;
    p++;
  }
  return s.length;
}

/**
 * Reads `name=value, name=value, ...` (the inside of `Namespace(...)` as argparse prints it).
 * Never throws; values that are not literals are kept as raw text and listed in `rawNames`.
 */
export function parsePyKwargs(inner: string): KwargsResult {
  const values: Record<string, PyValue> = {};
  const rawNames: string[] = [];
  const problems: string[] = [];
  const p = new Parser(inner);
  const s = inner;
  let guard = 0;
  while (guard++ < 100000) {
    p.skipWs();
    if (p.pos >= s.length) break;
    const nameStart = p.pos;
    let q = nameStart;
    while (q < s.length && isIdentPart(s.charCodeAt(q))) q++;
    if (q === nameStart || !isIdentStart(s.charCodeAt(nameStart)) || s.charCodeAt(q) !== 0x3d /* = */) {
      problems.push(`expected name=value at offset ${nameStart}`);
      const end = skipRawValue(s, nameStart);
      p.pos = end + 1;
      continue;
    }
    const name = s.slice(nameStart, q);
    p.pos = q + 1;
    const valueStart = p.pos;
    let value: PyValue;
    try {
      value = p.value(0);
      p.skipWs();
      const c = s.charCodeAt(p.pos);
      if (p.pos < s.length && c !== 0x2c) throw new PyParseError('expected ","', p.pos);
    } catch {
      // Not a literal (or not one this reader knows): keep the text as written.
      const end = skipRawValue(s, valueStart);
      value = s.slice(valueStart, end).trim();
      rawNames.push(name);
      p.pos = end;
    }
    setKey(values as { [key: string]: PyValue }, name, value);
    p.skipWs();
    if (s.charCodeAt(p.pos) === 0x2c) p.pos++;
  }
  return { values, rawNames, problems };
}
