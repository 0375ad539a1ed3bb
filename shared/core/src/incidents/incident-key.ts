import type { IncidentsConfig } from '../config/incidents-config';
import { globToRegExp } from '../windowing/group-matcher';

/** The key an episode's series is grouped by: episodes with one key can form one incident. */
export type IncidentKeyOf = (series: string, group: string) => string;

/**
 * Compiles `incidents.groupBy` into a key function. `group:<name>` for the model group;
 * `label:<value>` for the label the pattern takes from the series id; `relation:<name>` for the
 * first relation that holds the series. A series without a label or relation gets `series:<id>`:
 * it is related to nothing, so each of its episodes is an incident of its own.
 */
export function compileIncidentKey(config: Pick<IncidentsConfig, 'groupBy' | 'label' | 'relations'>): IncidentKeyOf {
  switch (config.groupBy) {
    case 'group':
      return (_series, group) => `group:${group}`;
    case 'label': {
      const pattern = new RegExp(config.label.pattern);
      return (series) => {
        const m = pattern.exec(series);
        if (!m) return `series:${series}`;
        const value = m.length > 1 ? m[1] : m[0];
        return value === undefined || value === '' ? `series:${series}` : `label:${value}`;
      };
    }
    case 'relation': {
      const relations = config.relations.map((r) => {
        const ids = new Set(r.match.series ?? []);
        const patterns: RegExp[] = [];
        if (r.match.glob !== undefined) patterns.push(globToRegExp(r.match.glob));
        if (r.match.regex !== undefined) patterns.push(new RegExp(`^(?:${r.match.regex})$`));
        return { name: r.name, test: (s: string) => ids.has(s) || patterns.some((p) => p.test(s)) };
      });
      return (series) => {
        const found = relations.find((r) => r.test(series));
        return found ? `relation:${found.name}` : `series:${series}`;
      };
    }
  }
}
