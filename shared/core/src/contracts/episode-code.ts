/**
 * What an operator said about an episode: issue 18's feedback verdicts (`hourglass feedback --verdict
 * false-positive|confirmed`). Every stored code carries the field; it is null until feedback exists.
 */
export type EpisodeVerdict = 'false-positive' | 'confirmed' | null;

/** One earlier episode that resembles an episode: nearest first (docs/incidents.md, "Similar past episodes"). */
export interface SimilarEpisode {
  readonly episodeId: string;
  readonly series: string;
  readonly group: string;
  /** Window end of that episode's peak, ISO-8601. */
  readonly at: string;
  readonly severity: number;
  /** Bits that differ between the two hashes (of `bits`), and the Euclidean distance between the codes. */
  readonly hamming: number;
  readonly distance: number;
  readonly verdict: EpisodeVerdict;
  /** On incident members: the incident that episode belonged to (null when it is no longer known). */
  readonly incidentId?: string | null;
}

/**
 * The code of an episode at its peak (the emitted window with the highest surprise so far), as the
 * scorer stores it (Redis stream `hourglass:codes:<group>`, capped per group; embedded mode: a file
 * per group in its folder). A newer record of the same episode replaces an older one.
 */
export interface EpisodeCode {
  readonly v: 1;
  readonly episodeId: string;
  /** The event whose window is the peak. */
  readonly eventId: string;
  readonly series: string;
  readonly group: string;
  /** The model version the code and hash were computed with, and the hash's version (method, bits, seed). */
  readonly modelVersion: string;
  readonly hashVersion: string;
  /** The episode's open, and its peak window's end, ISO-8601. */
  readonly openedAt: string;
  readonly at: string;
  readonly severity: number;
  readonly score: number;
  /** The peak window's surprise (log10(1/p), docs/models.md): what ranks an episode's windows, as it does not saturate. */
  readonly surprise?: number;
  readonly code: readonly number[];
  /** The hash of `code`, hex (codeHasher, hashToHex). */
  readonly hash: string;
  readonly verdict: EpisodeVerdict;
  /** The peak window in the windows topic's encoding, base64: a new model version re-encodes it. */
  readonly window: string;
  /** The most similar earlier episodes when this record was written. */
  readonly similar?: readonly SimilarEpisode[];
}
