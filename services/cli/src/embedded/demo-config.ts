import { compileConfig, generateDemoStream, type GroupConfig, type HourglassConfig } from '@hourglass/core';

/**
 * The demo's model groups: one per demo series (one model per series, as for a small fleet),
 * windows of 32 five-minute steps, and the configured model settings otherwise.
 */
export function demoGroups(config: HourglassConfig): GroupConfig[] {
  const base = config.groups[0];
  const series = generateDemoStream({ days: 1 }).series;
  const raw = {
    groups: series.map((name) => ({
      name: name.replace(/[^A-Za-z0-9_.-]/g, '_'),
      match: { series: [name] },
      window: { lengthSteps: 32, intervalMs: 5 * 60_000 },
      // One or two noisy windows are not worth a page: three in a row open an episode.
      episodes: { openAfterWindows: 3, closeAfterWindows: 3, ongoingIntervalMs: 60 * 60_000 },
      // Denoising with masking corruption learns to fill gaps, so missing data is not flagged.
      model: { ...(base?.model ?? {}), type: 'denoising', denoising: { corruption: 'masking', noiseStd: 0.2, maskRate: 0.1 }, epochs: 30, batchSize: 128 },
    })),
  };
  return [...compileConfig(raw).groups];
}

/**
 * The demo's whole config: the given one with the demo's groups, and a refit cadence for six days
 * of five-minute points (a first fit after 800 clean windows, a little under three days; a refit
 * every two days of data or 576 new clean windows, whichever comes first; a first model over the
 * gate's budget refused). Embedded mode reads it
 * as the services would read the same file.
 */
export function demoConfig(config: HourglassConfig): HourglassConfig {
  const twoDaysMs = 2 * 86_400_000;
  return {
    ...config,
    groups: demoGroups(config),
    scorer: { ...config.scorer, batchMaxWindows: 1024 },
    // Six days with a refit every two: a first model over the gate's false-alarm budget would page
    // for a third of the demo before a refit replaced it, so the demo waits for one within budget
    // (its warm-up rolls forward). The shipped default takes it (docs/runbook.md): a real series
    // without any model is worse than a noisy one.
    trainer: { ...config.trainer, minWindows: 800, refitAfterNewWindows: 576, refitIntervalMs: twoDaysMs, gateFirstModelOverBudget: 'refuse' },
  };
}
