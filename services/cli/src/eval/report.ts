export interface ReportWritten { readonly html: string; readonly pngs: readonly string[] }
export async function writeNabReport(_o: { resultsDir: string; detector: string; outDir?: string }): Promise<ReportWritten> {
  throw new Error('not yet');
}
