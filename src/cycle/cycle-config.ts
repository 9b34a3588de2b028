// The cycle's settings as the rest of the code uses them. They are parsed once, with the rest of
// the configuration, at start-up (src/config.ts): a bad WEEKLY_*/MONTHLY_*/LIGHT_* value stops the
// process by name before the first tick; here they are only read.
import type { Config, CycleSettings } from '../config.js';

export type { CycleSettings } from '../config.js';

export function cycleSettings(config: Config): CycleSettings {
  return config.cycle;
}
