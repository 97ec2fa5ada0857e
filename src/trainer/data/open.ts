/** Rebuilding a dataset from its plain spec (what a data worker thread does). */
import { ConvertedDataset, type ConvertedSpec } from './converted-dataset';
import { DatasetError, type Dataset } from './types';

export function openDatasetSpec(spec: { kind: string }): Dataset {
  if (spec.kind === 'converted') return new ConvertedDataset(spec as ConvertedSpec);
  throw new DatasetError(`unknown dataset spec kind ${JSON.stringify(spec.kind)}`);
}
