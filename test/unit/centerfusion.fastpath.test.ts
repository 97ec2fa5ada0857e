/**
 * The fast paths of the CenterFusion text readers (progressline.ts for ConsoleAdapter,
 * logtxtline.ts for log.txt) against their general paths: on many generated lines, common and
 * odd (nan/inf/exponent values, missing fields, days in times, cut-short updates, glued updates,
 * `\r` anywhere, ANSI escapes, multi-byte characters split across chunks, random character
 * mutations), both must give exactly the same events, statistics and problems. The fast path
 * must also really be taken on most common lines (else this would compare the general path with
 * itself).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ConsoleAdapter, parseConsoleText } from '../../src/shared/centerfusion';
import { logTxtToEvents, parseLogTxt } from '../../src/shared/centerfusion/logtxt';
import { readCommonLogLine } from '../../src/shared/centerfusion/logtxtline';
import { readCommonUpdate } from '../../src/shared/centerfusion/progressline';
import type { EventBody } from '../../src/shared/protocol';
import { mulberry32 } from '../../src/shared/random';

type Rng = () => number;

const LOSSES = ['tot', 'hm', 'wh', 'reg', 'dep', 'dep_sec', 'dim', 'rot', 'rot_sec', 'amodel_offset', 'nuscenes_att', 'velocity'];
const ODD_NAMES = ['Data', 'Net', 'ETA', 'E_loss', 'Nx', 'D', '__proto__', 'constructor', 'a.b/c-d', 'x'.repeat(64), 'y'.repeat(65), '9lives', 'hm_loss'];
const LABELS = ['ddd/centerfusion', 'tracking,ddd/exp_1', 'ddd/réseau', 'ddd/run😀', 'ddd/a b', 'ctdet/coco_dla'];

function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function chance(r: Rng, p: number): boolean {
  return r() < p;
}

function digits(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(r() * 10));
  return s;
}

/** A loss value as CenterFusion prints it (4 decimals), or (when bent) one of the odd shapes. */
function lossValue(r: Rng, bent: boolean): string {
  if (!bent || chance(r, 0.7)) return (r() * 20).toFixed(4);
  return pick(r, [
    'nan', '-nan', 'inf', '-inf', 'NaN', '1e-05', '2.5E+3', '-0.5000', '-0.0000', '0', '007', '1.', '.5', '+1.5',
    `${digits(r, 8)}.${digits(r, 8)}`, `${digits(r, 1 + Math.floor(r() * 12))}.${digits(r, 1 + Math.floor(r() * 12))}`,
    `${digits(r, 21)}.5`, '1.2.3', '1,5', '0x1f', '',
  ]);
}

function clock(r: Rng, bent: boolean): string {
  if (!bent || chance(r, 0.7)) return `${Math.floor(r() * 3)}:${String(Math.floor(r() * 60)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')}`;
  return pick(r, ['1 day, 2:03:04', '3 days, 0:00:00', '0:61:00', '0:00:75', '0:01:02.5', '0:01:02.123456', '0:01:02.1234567', '12345678901:00:00', '0:1:02', '-1 day, 23:59:59', '0:01:02.', 'x']);
}

/** One progress update: half in the common shape, half with some of its parts bent. */
function update(r: Rng): string {
  const bent = chance(r, 0.5);
  /** True with probability p on a bent line, always on a common one. */
  const usual = (p: number): boolean => !bent || chance(r, p);
  const label = pick(r, LABELS);
  const phase = usual(0.8) ? pick(r, ['train', 'train', 'val']) : pick(r, ['test', 'foo', 'xtrain', 'Train', 'a'.repeat(22)]);
  const epoch = usual(0.9) ? String(1 + Math.floor(r() * 140)) : pick(r, ['0', '-1', digits(r, 16), '']);
  const numIters = 1 + Math.floor(r() * 5000);
  const iter = usual(0.9) ? String(Math.floor(r() * numIters)) : pick(r, [digits(r, 16), '-3', '']);
  let head: string;
  if (phase === 'test') head = `${label} |${'#'.repeat(Math.floor(r() * 33))}| [${iter}/${numIters}]`;
  else if (chance(r, 0.5)) head = `${label}| ${phase}: [${epoch}][${iter}/${numIters}]`;
  else head = `${label} |${'#'.repeat(Math.floor(r() * 33)).padEnd(32)}| ${phase}:${usual(0.8) ? ' ' : ''}[${epoch}][${iter}/${numIters}]`;
  if (!usual(0.9)) head += ' ';
  const fields: string[] = [];
  fields.push(`Tot:${usual(0.9) ? ' ' : chance(r, 0.5) ? '  ' : ''}${clock(r, bent)} `);
  if (usual(0.8)) fields.push(`ETA:${usual(0.8) ? ' ' : ''}${clock(r, bent)} `);
  const names = usual(0.7) ? LOSSES : [...LOSSES.slice(0, 3), pick(r, ODD_NAMES), pick(r, LOSSES)];
  for (const name of names) {
    if (!usual(0.95)) continue;
    const sep = usual(0.9) ? ' ' : pick(r, ['  ', '\t', '\u00a0', '']);
    const after = usual(0.9) ? ' ' : pick(r, ['', '  ', 'x ', '\t', ' junk ']);
    fields.push(`${name}${sep}${lossValue(r, bent)}${after}`);
  }
  if (phase === 'test' && chance(r, 0.7)) fields.push(`tot ${(r() * 2).toFixed(3)}s (${(r() * 2).toFixed(3)}s) `, `load 0.010s (0.012s) `);
  if (usual(0.8)) fields.push(usual(0.8) ? `Data ${(r() / 10).toFixed(3)}s${usual(0.8) ? '' : ' '}(${(r() / 10).toFixed(3)}s) ` : pick(r, ['Data 0.008s', 'Data 1.5 ', 'Data x', 'Data 0.008s(0.010s)x ']));
  if (usual(0.8)) fields.push(usual(0.8) ? `Net ${(r() * 2).toFixed(3)}s` : pick(r, ['Net 0.5 ', 'Net 0.401s ', 'Net 0.401sCreating model...', 'Net 0.401s  x', 'Net .5s', 'Net 0.401s|']));
  if (!usual(0.9)) fields.push(pick(r, ['', ' ', 'hm 1.0']));
  let line = `${head}|${fields.join('|')}`;
  if (!usual(0.85)) line = line.slice(0, Math.floor(r() * line.length)); // cut at the terminal width
  return line;
}

function otherLine(r: Rng): string {
  return pick(r, [
    'Creating model...', 'Drop LR to 1.25e-05', 'Starting training...', 'loaded models/x.pth, epoch 3',
    '/usr/lib/python3/site.py:12: UserWarning: careful', 'ddd/centerfusion', 'Traceback (most recent call last):',
    '  File "main.py", line 3, in <module>', 'RuntimeError: CUDA out of memory', 'mAP: 0.3320', '', '   ', 'héllo wörld 😀',
  ]);
}

const SEPARATORS = ['\n', '\n', '\r', '\r', '\r\n', '', '\x1b[K\r', '\n\n'];

/** A console capture: mostly updates, separated as terminals and pipes separate them. */
function capture(r: Rng, n: number): string {
  const parts: string[] = [];
  let last = '';
  for (let i = 0; i < n; i++) {
    const line = chance(r, 0.05) ? last : chance(r, 0.1) ? otherLine(r) : update(r); // repeats are skipped as duplicates
    last = line;
    parts.push(chance(r, 0.02) ? `\x1b[?25l${line}\x1b[0m` : line);
    parts.push(pick(r, SEPARATORS));
  }
  return parts.join('');
}

const INTERESTING = ['|', ' ', '\t', ':', '[', ']', '.', '-', 'e', 'n', '0', '9', 's', '(', ')', '\u00a0', 'é', '😀', '\r', '\n', '\x1b[K', 'Tot:', '|Tot: 0:00:01 '];

/** The line with one character replaced, inserted or deleted. */
function mutate(r: Rng, line: string): string {
  const at = Math.floor(r() * (line.length + 1));
  const what = r();
  if (what < 0.4) return line.slice(0, at) + pick(r, INTERESTING) + line.slice(at + 1);
  if (what < 0.8) return line.slice(0, at) + pick(r, INTERESTING) + line.slice(at);
  return line.slice(0, at) + line.slice(at + 1);
}

function readAll(text: string, fastPath: boolean): ReturnType<typeof parseConsoleText> {
  return parseConsoleText(text, { fastPath, maxProblems: 100000 });
}

/** Pushes the same chunks to a fast and a general adapter; every push must give the same events. */
function assertSameStreaming(chunks: readonly string[], what: string): void {
  const fast = new ConsoleAdapter({ maxProblems: 100000 });
  const general = new ConsoleAdapter({ maxProblems: 100000, fastPath: false });
  for (let i = 0; i < chunks.length; i++) {
    assert.deepStrictEqual(fast.push(chunks[i]), general.push(chunks[i]), `${what}: chunk ${i} ${JSON.stringify(chunks[i].slice(0, 200))}`);
  }
  assert.deepStrictEqual(fast.end(), general.end(), `${what}: end()`);
  assert.deepStrictEqual(fast.stats, general.stats, `${what}: stats`);
  assert.deepStrictEqual(fast.problems, general.problems, `${what}: problems`);
}

/** Cuts text at random code-unit positions (surrogate pairs, `\r\n` and escapes included). */
function randomChunks(r: Rng, text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const n = 1 + Math.floor(r() * (chance(r, 0.5) ? 8 : 600));
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

/** UTF-8 bytes cut at random places and decoded as a stream (multi-byte characters split). */
function byteChunks(r: Rng, text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const decoder = new TextDecoder();
  const out: string[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + Math.floor(r() * 300);
    out.push(decoder.decode(bytes.subarray(i, i + n), { stream: true }));
    i += n;
  }
  out.push(decoder.decode());
  return out;
}

describe('ConsoleAdapter fast path', () => {
  it('reads the common shape exactly (numbers as Number() reads them)', () => {
    const line = 'ddd/centerfusion |#####     | train: [3][41/486]|Tot: 0:01:56 |ETA: 0:00:19 |tot 13.3357 |hm -0.1791 |wh 1.9315 |Data 0.011s(0.014s) |Net 0.280s';
    const u = readCommonUpdate(line);
    assert.ok(u !== null, 'the common shape takes the fast path');
    assert.deepStrictEqual(
      { phase: u.phase, epoch: u.epoch, iter: u.iter, numIters: u.numIters, losses: u.losses, elapsed: u.elapsed, eta: u.eta, dataCur: u.dataCur, dataAvg: u.dataAvg, net: u.net },
      { phase: 'train', epoch: 3, iter: 41, numIters: 486, losses: { tot: 13.3357, hm: -0.1791, wh: 1.9315 }, elapsed: 116, eta: 19, dataCur: 0.011, dataAvg: 0.014, net: 0.28 },
    );
    for (const odd of [
      line.replace('hm -0.1791', 'hm nan'),
      line.replace('0:01:56', '1 day, 0:01:56'),
      line.replace('|Net 0.280s', ''),
      line.replace('0.280s', '0.28'),
      `${line}\r${line}`.replace('\r', ''),
      line.replace('train', 'test'),
    ]) {
      assert.equal(readCommonUpdate(odd), null, `left to the general path: ${odd}`);
    }
  });

  it('gives the same events, stats and problems as the general path on generated captures', () => {
    const r = mulberry32(20261126);
    let fastLines = 0;
    let updates = 0;
    for (let round = 0; round < 40; round++) {
      const text = capture(r, 500);
      for (const piece of text.split(/[\r\n]/)) {
        if (!piece.includes('|Tot:')) continue;
        updates++;
        if (readCommonUpdate(piece) !== null) fastLines++;
      }
      const fast = readAll(text, true);
      const general = readAll(text, false);
      assert.deepStrictEqual(fast, general, `round ${round}`);
    }
    // Both paths must have been exercised, or this test proves nothing.
    assert.ok(fastLines > updates * 0.3, `fast path taken on ${fastLines} of ${updates} updates`);
    assert.ok(updates - fastLines > updates * 0.1, `general path taken on ${updates - fastLines} of ${updates} updates`);
  });

  it('gives the same events on every push, whatever the chunking (split escapes, \\r\\n, multi-byte characters)', () => {
    const r = mulberry32(7);
    for (let round = 0; round < 20; round++) {
      const text = capture(r, 300);
      assertSameStreaming(randomChunks(r, text), `round ${round}, code-unit chunks`);
      assertSameStreaming(byteChunks(r, text), `round ${round}, UTF-8 byte chunks`);
    }
  });

  it('gives the same result on common lines with one character mutated', () => {
    const r = mulberry32(99);
    const common = mulberry32(5);
    let fastTaken = 0;
    for (let i = 0; i < 6000; i++) {
      let line = update(common);
      if (readCommonUpdate(line) === null) continue;
      fastTaken++;
      line = mutate(r, line);
      if (chance(r, 0.3)) line = mutate(r, line);
      const text = `${line}${pick(r, ['\n', '\r', ''])}`;
      assert.deepStrictEqual(readAll(text, true), readAll(text, false), `mutated line ${JSON.stringify(line)}`);
    }
    assert.ok(fastTaken > 1000, `only ${fastTaken} common lines generated`);
  });

  it('keeps the duplicate rule and epoch starts across updates', () => {
    const line = (e: number, i: number): string => `ddd/x| train: [${e}][${i}/10]|Tot: 0:00:0${i} |ETA: 0:00:00 |tot 1.0000 |Data 0.001s(0.001s) |Net 0.100s`;
    const text = [line(1, 0), line(1, 0), line(1, 1), line(2, 0), `${line(2, 1).slice(0, 40)}`, line(2, 1)].join('\n');
    const fast = readAll(text, true);
    assert.deepStrictEqual(fast, readAll(text, false));
    const kinds = fast.events.map((e: EventBody) => e.type);
    // The repeat is skipped; the cut-short update is kept, and so is its whole version after it.
    assert.deepStrictEqual(kinds, ['epoch_start', 'iter', 'iter', 'epoch_start', 'iter', 'iter', 'iter']);
    assert.equal(fast.stats.duplicates, 1);
    assert.equal(fast.stats.truncated, 1);
  });
});

// ---------------------------------------------------------------------------------------------
// log.txt

function statValue(r: Rng, bent: boolean): string {
  if (!bent || chance(r, 0.7)) return (r() * 20).toFixed(6);
  return pick(r, ['     nan', 'nan', 'inf', '-inf', '1e-05', '+1.5', '-0.000000', '12', `${digits(r, 9)}.${digits(r, 9)}`, 'abc', '1.5x', '', '1 2']);
}

function logLine(r: Rng, epoch: number): string {
  const bent = chance(r, 0.5);
  /** True with probability p on a bent line, always on a common one. */
  const usual = (p: number): boolean => !bent || chance(r, p);
  const stamp = usual(0.8) ? `2020-11-${String(1 + (epoch % 28)).padStart(2, '0')}-13-45: ` : pick(r, ['', '2020-11-2-13-45: ', '2020-11-20-13-45:', '2020-11-20 13:45: ']);
  const ep = usual(0.9) ? String(epoch) : pick(r, ['0', '-2', digits(r, 16), 'x']);
  let line = `${stamp}epoch:${usual(0.9) ? ' ' : ''}${ep}${usual(0.9) ? ' ' : ''}|`;
  const part = (names: readonly string[], time: string): void => {
    for (const name of names) {
      if (!usual(0.95)) continue;
      const sep = usual(0.95) ? ' ' : pick(r, ['  ', '\t', '']);
      line += `${name}${sep}${statValue(r, bent)}${usual(0.95) ? ' | ' : pick(r, [' |', '| ', ' \t| ', ' x | '])}`;
    }
    if (usual(0.9)) line += `time ${time} | `;
  };
  const names = usual(0.8) ? LOSSES : [...LOSSES.slice(0, 2), pick(r, ODD_NAMES), 'time'];
  part(names, usual(0.9) ? '45.500000' : pick(r, ['nan', 'x', '1e3']));
  if (chance(r, 0.5)) part(names, usual(0.9) ? '2.100000' : 'nan');
  if (!usual(0.95)) line += 'tot 1.000000 | ';
  if (!usual(0.9)) line = line.slice(0, Math.floor(r() * line.length));
  return line;
}

function logFile(r: Rng, n: number): string {
  const lines: string[] = [];
  if (chance(r, 0.1)) lines.push('\ufeff');
  for (let i = 0; i < n; i++) {
    lines.push(chance(r, 0.03) ? pick(r, ['', '   ', 'not an epoch line', '\t', 'epoch: 3 |tot 1.0 | time 2.0 |\r']) : logLine(r, chance(r, 0.03) ? 1 : i + 1));
    lines.push(pick(r, ['\n', '\n', '\n', '\r\n']));
  }
  if (chance(r, 0.5)) lines.pop(); // a last line without newline
  return lines.join('');
}

describe('log.txt fast path', () => {
  it('reads a common line exactly', () => {
    const raw = '2020-11-20-13-45: epoch: 5 |tot 10.123456 | hm 1.234567 | time 45.500000 | tot 13.315100 | hm      nan | time 2.100000 |';
    const e = readCommonLogLine(raw, 7);
    assert.deepStrictEqual(e, {
      time: '2020-11-20-13-45', epoch: 5, train: { tot: 10.123456, hm: 1.234567 }, val: { tot: 13.3151, hm: null },
      time_min: 45.5, complete: true, line: 7, val_time_min: 2.1,
    });
    assert.equal(readCommonLogLine(raw.replace(/ time [\d.]+ \|/g, ''), 7), null, 'no train time: left to the general reader');
    assert.equal(readCommonLogLine(raw.replace(' time 2.100000 |', ''), 7), null, 'validation part without its time');
    assert.equal(readCommonLogLine(raw.replace('hm 1.234567', 'hm 1.2x'), 7), null);
  });

  it('gives the same epochs and problems as the general reader on generated files', () => {
    const r = mulberry32(314);
    let fastLines = 0;
    let lines = 0;
    for (let round = 0; round < 40; round++) {
      const text = logFile(r, 200);
      for (const raw of text.split('\n')) {
        if (raw.trim() === '') continue;
        lines++;
        if (readCommonLogLine(raw, 1) !== null) fastLines++;
      }
      const fast = parseLogTxt(text, { maxProblems: 100000 });
      const general = parseLogTxt(text, { maxProblems: 100000, fastPath: false });
      assert.deepStrictEqual(fast, general, `round ${round}`);
      assert.deepStrictEqual(logTxtToEvents(fast), logTxtToEvents(general));
      assert.equal(JSON.stringify(fast), JSON.stringify(general), 'same key order');
    }
    assert.ok(fastLines > lines * 0.3, `fast path taken on ${fastLines} of ${lines} lines`);
    assert.ok(lines - fastLines > lines * 0.1, `general reader on ${lines - fastLines} of ${lines} lines`);
  });

  it('gives the same result on common lines with one character mutated', () => {
    const r = mulberry32(2718);
    const common = mulberry32(1);
    let taken = 0;
    for (let i = 0; i < 4000; i++) {
      const line = logLine(common, 1 + i);
      if (readCommonLogLine(line, 1) === null) continue;
      taken++;
      const text = `${mutate(r, line)}\n`;
      assert.deepStrictEqual(parseLogTxt(text), parseLogTxt(text, { fastPath: false }), `mutated ${JSON.stringify(text)}`);
    }
    assert.ok(taken > 1000, `only ${taken} common lines generated`);
  });
});
