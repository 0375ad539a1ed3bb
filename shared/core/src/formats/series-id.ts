/**
 * Series ids of the metric formats, in the Prometheus text style: `name{label="value",...}`, labels
 * sorted by name. Values are always quoted (`\\`, `\"` and `\n` escaped); a name or label name
 * that is not a plain identifier is quoted the same way, so no two label sets give one id.
 */

/** A one-part metric name written bare (OTLP's dotted names stay readable). */
const BARE_NAME = /^[A-Za-z_:][A-Za-z0-9_:./-]*$/;
/** A part of a two-part name (Influx `measurement.field`): bare only without dots, so the split is unambiguous. */
const BARE_PART = /^[A-Za-z_:][A-Za-z0-9_:/-]*$/;
const BARE_LABEL = /^[A-Za-z_][A-Za-z0-9_:./-]*$/;
const ESCAPES = /[\\"\n]/g;

/** `s` as a double-quoted string with `\\`, `\"` and `\n` escaped. */
export function quoteIdPart(s: string): string {
  return `"${s.replace(ESCAPES, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`;
}

/** A label list: [name, value] pairs. */
export type Labels = readonly (readonly [string, string])[];

/**
 * The id of the series `name` (zero, one or two parts) with `labels`, which must be sorted by name
 * and free of duplicate names (see `normaliseLabels`). No labels and a name: just the name.
 */
export function seriesId(name: readonly string[], labels: Labels): string {
  let id = '';
  if (name.length === 1) id = BARE_NAME.test(name[0]!) ? name[0]! : quoteIdPart(name[0]!);
  else for (let i = 0; i < name.length; i++) id += (i > 0 ? '.' : '') + (BARE_PART.test(name[i]!) ? name[i]! : quoteIdPart(name[i]!));
  if (labels.length === 0) return name.length === 0 ? '{}' : id;
  id += '{';
  for (let i = 0; i < labels.length; i++) {
    const [k, v] = labels[i]!;
    id += `${i > 0 ? ',' : ''}${BARE_LABEL.test(k) ? k : quoteIdPart(k)}=${quoteIdPart(v)}`;
  }
  return `${id}}`;
}

/**
 * Labels sorted by name (UTF-16 code units), a later duplicate name winning, kept to `keep` when
 * given, and without `drop` (the channel label).
 */
export function normaliseLabels(labels: Labels, keep: readonly string[] | undefined, drop: string | undefined): Labels {
  const byName = new Map<string, string>();
  for (const [k, v] of labels) {
    if (k === drop || (keep !== undefined && !keep.includes(k))) continue;
    byName.set(k, v);
  }
  return [...byName].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
