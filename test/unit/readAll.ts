import { EventReader, type ReadBatch, type ReaderStats } from '../../src/shared/protocol';

/** Reads `chunks` with a fresh reader and gathers every batch, including end()'s. */
export function readAll(chunks: Array<Uint8Array | string>, maxLineBytes?: number): { batch: ReadBatch; stats: ReaderStats } {
  const reader = new EventReader(maxLineBytes === undefined ? {} : { maxLineBytes });
  const batch: ReadBatch = { events: [], unknown: [], problems: [] };
  const take = (b: ReadBatch): void => {
    batch.events.push(...b.events);
    batch.unknown.push(...b.unknown);
    batch.problems.push(...b.problems);
  };
  for (const c of chunks) take(reader.push(c));
  take(reader.end());
  return { batch, stats: reader.stats };
}
