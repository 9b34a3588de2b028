// Daily housekeeping, scheduled like a feature's step (maintenance.processors.ts does the work).
import { dailyJobId, scheduledJob, type ScheduleStep } from './schedule-steps.js';

export const maintenanceScheduleSteps: ScheduleStep[] = [
  { name: 'maintenance.prune', jobs: (now) => [scheduledJob('maintenance.prune', {}, dailyJobId('prune', now))] },
];
