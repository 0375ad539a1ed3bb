import { writeNabReport, type ReportWritten } from '../eval/report';

/** `hourglass report`: the HTML page for an `eval nab` results directory. */
export async function runReport(options: { results: string; detector: string; out?: string }): Promise<ReportWritten> {
  return writeNabReport({ resultsDir: options.results, detector: options.detector, ...(options.out ? { outDir: options.out } : {}) });
}
