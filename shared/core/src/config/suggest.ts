import { z } from 'zod';

/**
 * "Did you mean" for config typos: the known field names at a path of a zod schema, and the
 * closest one to what was typed.
 */
export function knownKeysAt(schema: z.ZodTypeAny, path: readonly (string | number)[]): string[] {
  let node: z.ZodTypeAny | undefined = unwrap(schema);
  for (const step of path) {
    if (!node) return [];
    if (node instanceof z.ZodArray) node = unwrap(node.element as z.ZodTypeAny);
    else if (node instanceof z.ZodRecord) node = unwrap(node.valueSchema as z.ZodTypeAny); // a map's entries (parseByTopic)
    else if (node instanceof z.ZodObject) node = unwrap((node.shape as Record<string, z.ZodTypeAny>)[String(step)]);
    else return [];
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape as object) : [];
}

/** The candidate within edit distance 2 (or 1 for short words) of `typed`, if exactly one is closest. */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const limit = typed.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(typed.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= limit ? best : undefined;
}

function unwrap(schema: z.ZodTypeAny | undefined): z.ZodTypeAny | undefined {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodDefault) node = node._def.innerType as z.ZodTypeAny;
    else if (node instanceof z.ZodOptional || node instanceof z.ZodNullable) node = node.unwrap() as z.ZodTypeAny;
    else if (node instanceof z.ZodEffects) node = node.innerType() as z.ZodTypeAny;
    else return node;
  }
}

/** Optimal-string-alignment distance: edits plus adjacent swaps, the most common typo. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
