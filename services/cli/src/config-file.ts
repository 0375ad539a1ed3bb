import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { compileConfig, HourglassError, type HourglassConfig } from '@hourglass/core';

/**
 * Loads the config file (YAML or JSON; YAML is a superset) when one is given, applies the
 * environment overrides and validates it. Without a file, defaults plus environment apply.
 */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv): HourglassConfig {
  if (path === undefined) return compileConfig({}, env, 'environment');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new HourglassError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : String(code)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new HourglassError('CONFIG_UNPARSEABLE', `config file ${path} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  return compileConfig(raw ?? {}, env, path);
}
