/**
 * The data worker thread (--num_workers): rebuilds the dataset from its spec and answers
 * requests for samples, transferring the typed arrays' buffers back.
 *
 * How a worker starts: the loader creates `new Worker("require(<file>)", { eval: true,
 * workerData: { [WORKER_MARK]: true, spec } })` where <file> is the module that holds the loader:
 * out/src/trainer/data/loader.js when running from tsc output, dist/cli.js in the esbuild bundle.
 * Loading that file runs the check at the bottom of this module, which starts the worker loop;
 * the CLI's own main() does not run, because in an eval worker the file is not require.main.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openDatasetSpec } from './open';
import type { Sample } from './types';

export const WORKER_MARK = '__centerfusionDataWorker';

export interface WorkerRequest {
  id: number;
  index: number;
  epoch: number;
}

export type WorkerReply = { id: number; sample: Sample } | { id: number; error: string; datasetError: boolean };

/** Every distinct ArrayBuffer under the sample's typed arrays, for a transfer list. */
export function sampleBuffers(sample: Sample): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | undefined): void => {
    if (a && a.buffer instanceof ArrayBuffer && a.byteLength > 0) seen.add(a.buffer);
  };
  for (const a of [sample.image, sample.hm, sample.ind, sample.mask, sample.cat, sample.rotbin, sample.rotres, sample.pcHm]) add(a);
  for (const t of Object.values(sample.reg)) {
    add(t.target);
    add(t.mask);
  }
  if (sample.radar) for (const a of [sample.radar.xyz, sample.radar.vel, sample.radar.pillar]) add(a);
  return [...seen];
}

function runWorker(): void {
  const port = parentPort;
  if (!port) return;
  const data = workerData as Record<string, unknown>;
  let dataset: ReturnType<typeof openDatasetSpec> | undefined;
  let openError: { message: string; datasetError: boolean } | undefined;
  try {
    dataset = openDatasetSpec(data.spec as { kind: string });
  } catch (e) {
    openError = { message: e instanceof Error ? e.message : String(e), datasetError: e instanceof Error && e.name === 'DatasetError' };
  }
  port.on('message', (req: WorkerRequest) => {
    if (!dataset) {
      port.postMessage({ id: req.id, error: openError!.message, datasetError: openError!.datasetError } satisfies WorkerReply);
      return;
    }
    try {
      const sample = dataset.get(req.index, req.epoch);
      port.postMessage({ id: req.id, sample } satisfies WorkerReply, sampleBuffers(sample));
    } catch (e) {
      port.postMessage({ id: req.id, error: e instanceof Error ? e.message : String(e), datasetError: e instanceof Error && e.name === 'DatasetError' } satisfies WorkerReply);
    }
  });
}

if (!isMainThread && workerData && typeof workerData === 'object' && (workerData as Record<string, unknown>)[WORKER_MARK] === true) {
  runWorker();
}
