import { rocAuc, modelTypes } from '@hourglass/core';
import { fitModel } from '../index';
import { sineWindows } from './signals';

async function main(): Promise<void> {
  const W = Number(process.env.W ?? 32);
  for (const c of [1, 3] as const) {
    for (const type of modelTypes) {
      const t0 = Date.now();
      const model = await fitModel({ type, layers: [16], latentSize: 4, epochs: Number(process.env.E ?? 40), batchSize: 32, seed: 1 }, sineWindows(400, W, c, 1));
      const normal = model.score(sineWindows(200, W, c, 2)).map((s) => s.rawError);
      const aucs = (['spike', 'levelShift', 'frequency'] as const).map((k) => rocAuc(normal, model.score(sineWindows(100, W, c, 3, k)).map((s) => s.rawError)).toFixed(3));
      const r = model.manifest.training;
      console.log(c, type, aucs.join(' '), `epochs ${r.epochsRun} best ${r.bestEpoch} val ${r.bestValidationLoss.toFixed(3)} thr ${model.threshold.rawError.toFixed(3)} ${Date.now() - t0}ms`);
      model.dispose();
    }
  }
}
void main();
