/** `centerfusion train`: the built-in trainer (see ../train.ts). */
import type { CliCommand } from './types';

export const trainCommand: CliCommand = {
  name: 'train',
  summary: "train CenterFusion's model with the built-in TensorFlow.js trainer (CenterFusion's main.py options)",
  async run(argv, io) {
    // Loaded on demand so that `centerfusion --help` and the other commands do not start tfjs.
    const { runTrainCommand } = await import('../train');
    return runTrainCommand(argv, io);
  },
};
