import { z } from 'zod';

/** One documented config field: its dotted path, its type, and its default (if any). */
export interface ConfigField {
  readonly path: string;
  readonly type: string;
  readonly default: string;
  readonly required: boolean;
}

/**
 * Every field of a zod object schema, walked depth first, so that the config reference
 * (docs/config.md) is generated from the one schema that validates configs and cannot drift.
 */
export function describeSchema(schema: z.ZodTypeAny, prefix = ''): ConfigField[] {
  const out: ConfigField[] = [];
  const { inner, defaultValue, optional } = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodTypeAny>)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const field = unwrap(child);
      if (field.inner instanceof z.ZodObject) out.push(...describeSchema(child, path));
      else if (field.inner instanceof z.ZodRecord && unwrap(field.inner.valueSchema as z.ZodTypeAny).inner instanceof z.ZodObject) {
        out.push({ path, type: 'map of objects', default: show(field.defaultValue), required: false });
        // Entries override fields given elsewhere (their own defaults do not apply), so no default is shown.
        out.push(...describeSchema(field.inner.valueSchema as z.ZodTypeAny, `${path}.<name>`).map((f) => ({ ...f, default: '', required: false })));
      }
      else if (field.inner instanceof z.ZodArray && unwrap(field.inner.element as z.ZodTypeAny).inner instanceof z.ZodObject) {
        out.push({ path, type: 'list of objects', default: show(field.defaultValue), required: !field.optional && field.defaultValue === undefined });
        out.push(...describeSchema(field.inner.element as z.ZodTypeAny, `${path}[]`));
      } else out.push({ path, type: typeName(field.inner), default: show(field.defaultValue), required: !field.optional && field.defaultValue === undefined });
    }
    return out;
  }
  return [{ path: prefix, type: typeName(inner), default: show(defaultValue), required: !optional && defaultValue === undefined }];
}

/** The fields as a Markdown table. */
export function schemaMarkdown(fields: readonly ConfigField[]): string {
  const rows = fields.map((f) => `| \`${f.path}\` | ${f.type} | ${f.default === '' ? (f.required ? '**required**' : '') : `\`${f.default}\``} |`);
  return ['| field | type | default |', '| --- | --- | --- |', ...rows].join('\n');
}

function unwrap(schema: z.ZodTypeAny): { inner: z.ZodTypeAny; defaultValue: unknown; optional: boolean } {
  let node = schema;
  let defaultValue: unknown;
  let optional = false;
  for (;;) {
    if (node instanceof z.ZodDefault) {
      defaultValue ??= (node._def.defaultValue as () => unknown)();
      node = node._def.innerType as z.ZodTypeAny;
    } else if (node instanceof z.ZodOptional || node instanceof z.ZodNullable) {
      optional = true;
      node = node.unwrap() as z.ZodTypeAny;
    } else if (node instanceof z.ZodEffects) node = node.innerType() as z.ZodTypeAny;
    else return { inner: node, defaultValue, optional };
  }
}

function typeName(schema: z.ZodTypeAny): string {
  if (schema instanceof z.ZodString) return 'string';
  if (schema instanceof z.ZodNumber) return schema.isInt ? 'integer' : 'number';
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodEnum) return (schema.options as string[]).map((o) => `\`${o}\``).join(' \\| ');
  if (schema instanceof z.ZodArray) return `list of ${typeName(unwrap(schema.element as z.ZodTypeAny).inner)}`;
  if (schema instanceof z.ZodObject) return 'object';
  if (schema instanceof z.ZodUnion) {
    return (schema.options as z.ZodTypeAny[]).map((o) => unwrap(o).inner).map((o) => (o instanceof z.ZodObject ? `\`{ ${Object.keys(o.shape as object).join(', ')} }\`` : typeName(o))).join(' \\| ');
  }
  return 'value';
}

function show(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return '';
  return JSON.stringify(value);
}
