// The cycle's settings as the rest of src/cycle/ uses them, derived once from Config: the
// schedule strings ('1 09:00', '20 09:00' …) become the domain's CycleScheduleConfig, the light
// thresholds become LightThresholds. Both are validated here so a bad value fails at start-up
// with the variable's name, not at the first tick.
import type { Config } from '../config.js';
import { AppError, isAppError } from '../errors.js';
import { cycleScheduleFromStrings, type CycleScheduleConfig } from '../domain/cycle-schedule.js';
import { lightRules, type LightRules } from '../domain/lights.js';

export type CycleSettings = {
  schedule: CycleScheduleConfig;
  /** The light rules: the configured preset with its LIGHT_* overrides. */
  thresholds: LightRules;
  tz: string;
  /** Owners with more projects than this get one consolidated card per cycle. */
  consolidateAbove: number;
};

const SCHEDULE_VARS = ['WEEKLY_OPEN', 'WEEKLY_REMIND', 'WEEKLY_DUE', 'MONTHLY_OPEN', 'MONTHLY_REMIND', 'MONTHLY_DUE'] as const;

const cache = new WeakMap<Config, CycleSettings>();

/** Parses and validates the cycle settings of a Config; memoised per Config object. */
export function cycleSettings(config: Config): CycleSettings {
  const hit = cache.get(config);
  if (hit) return hit;
  let schedule: CycleScheduleConfig;
  try {
    schedule = cycleScheduleFromStrings({
      weekly: { open: config.WEEKLY_OPEN, remind: config.WEEKLY_REMIND, due: config.WEEKLY_DUE },
      monthly: { open: config.MONTHLY_OPEN, remind: config.MONTHLY_REMIND, due: config.MONTHLY_DUE },
    });
  } catch (e) {
    if (!isAppError(e)) throw e;
    const given = SCHEDULE_VARS.map((v) => `${v}=${JSON.stringify(config[v])}`).join(', ');
    throw new AppError('CONFIG_INVALID', `${e.message} (from ${given}; weekly: '<weekday 1-7> HH:MM', monthly: '<day 1-28> HH:MM')`, {
      userMessage: '调度时间配置有误，请检查 WEEKLY_*/MONTHLY_* 设置',
      cause: e,
    });
  }
  const thresholds = lightRules(config.LIGHT_PRESET, {
    yellowLag: config.LIGHT_YELLOW_LAG_POINTS,
    redLag: config.LIGHT_RED_LAG_POINTS,
    yellowMissed: config.LIGHT_YELLOW_CONSECUTIVE_MISSED ?? (config.LIGHT_RED_CONSECUTIVE_MISSED === 1 ? 1 : undefined),
    redMissed: config.LIGHT_RED_CONSECUTIVE_MISSED,
    notStartedYellowMonths: config.LIGHT_NOT_STARTED_YELLOW_MONTHS,
    notStartedRedMonths: config.LIGHT_NOT_STARTED_RED_MONTHS,
    unregisteredYellowMonths: config.LIGHT_UNREGISTERED_YELLOW_MONTHS,
    unregisteredRedMonths: config.LIGHT_UNREGISTERED_RED_MONTHS,
  });
  const settings: CycleSettings = {
    schedule,
    thresholds,
    tz: config.DISPATCH_TZ,
    consolidateAbove: config.CONSOLIDATE_ABOVE,
  };
  cache.set(config, settings);
  return settings;
}
