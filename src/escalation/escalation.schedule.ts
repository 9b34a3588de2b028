// Escalation's scheduled step: once a day, fresh cards for open escalations and problems before
// Feishu's 14-day card lifetime ends (escalation-refresh.ts).
import { dailyJobId, scheduledJob, type ScheduleStep } from '../platform/jobs/schedule-steps.js';

export const escalationScheduleSteps: ScheduleStep[] = [
  { name: 'escalation.refresh', jobs: (now) => [scheduledJob('escalation.refresh', {}, dailyJobId('esc-refresh', now))] },
];
