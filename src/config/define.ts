/**
 * Identity helpers for TypeScript scenario and config files: they return what they are given, and give
 * the editor the file's types (`export default defineScenarios({ ... })`). The checks happen when
 * wireprobe loads the file, as for JSON and YAML.
 */
import type { ConfigInput } from './config-schema.js';
import type { ScenarioFileInput } from './scenario-schema.js';

/** A scenario file's content (the default export of `my-scenarios.ts`). */
export function defineScenarios<const T extends ScenarioFileInput>(file: T): T {
  return file;
}

/** A config file's content (the default export of `wireprobe.config.ts`). */
export function defineConfig<const T extends ConfigInput>(config: T): T {
  return config;
}
