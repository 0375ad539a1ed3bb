import type { GroupConfig } from '../config/groups';

/** Returns the model group a series belongs to (the first that matches), or undefined. */
export type GroupMatcher = (series: string) => GroupConfig | undefined;

/**
 * Compiles the groups' `match` sections once. A group matches a series when any of its criteria does:
 * an exact id in `series`, the `glob` (`*` any run, `?` one character), or the `regex`. Globs and
 * regexes must match the whole id (they are anchored), so `cpu` does not match `cpu-2`.
 */
export function compileGroupMatcher(groups: readonly GroupConfig[]): GroupMatcher {
  const compiled = groups.map((group) => {
    const ids = new Set(group.match.series ?? []);
    const patterns: RegExp[] = [];
    if (group.match.glob !== undefined) patterns.push(globToRegExp(group.match.glob));
    if (group.match.regex !== undefined) patterns.push(new RegExp(`^(?:${group.match.regex})$`));
    return { group, test: (s: string) => ids.has(s) || patterns.some((p) => p.test(s)) };
  });
  return (series) => compiled.find((c) => c.test(series))?.group;
}

/** A glob as an anchored RegExp: `*` is any run of characters, `?` one character, all else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}
