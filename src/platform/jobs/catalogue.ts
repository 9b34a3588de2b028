// The one typed catalogue of jobs: name -> queue and payload schema. Every job has exactly one
// processor (checked at start-up by QueueRegistry.startWorkers). Keep payloads small: ids, not rows.
import { z } from 'zod';

const kind = z.enum(['weekly', 'monthly']);

export const jobCatalogue = {
  /** A cron tick: decides which cycle step is due now and enqueues it. Never does the work itself. */
  'cycle.tick': { queue: 'control', payload: z.object({ kind, step: z.enum(['open', 'remind', 'final-remind', 'close']) }) },
  'cycle.open': { queue: 'control', payload: z.object({ kind, periodKey: z.string() }) },
  'cycle.remind': { queue: 'control', payload: z.object({ cycleId: z.number().int(), final: z.boolean() }) },
  'cycle.close': { queue: 'control', payload: z.object({ cycleId: z.number().int() }) },
  /** One owner's prompt cards for one cycle. */
  'prompt.send': { queue: 'outbound', payload: z.object({ cycleId: z.number().int(), ownerId: z.number().int() }) },
  /**
   * The prompts at a cycle's open for several owners (those whose ids share a bucket, job-ids.ts):
   * one job instead of one per owner, its owners sent a few at a time. An owner whose cards did not
   * all go out for a passing reason is handed to its own 'prompt.send' job, which retries it.
   */
  'prompt.batch': { queue: 'outbound', payload: z.object({ cycleId: z.number().int(), ownerIds: z.array(z.number().int()).min(1).max(64) }) },
  /** One owner's reminder for one cycle; `final` is the last one at the due time. */
  'reminder.send': { queue: 'outbound', payload: z.object({ cycleId: z.number().int(), ownerId: z.number().int(), final: z.boolean() }) },
  /** Replace a card after a callback was answered (delayed-update token, or patch by message id). */
  'card.update': {
    queue: 'outbound',
    payload: z.object({ token: z.string().optional(), messageId: z.string().optional(), card: z.record(z.string(), z.unknown()) }),
  },
  /**
   * A callback's toast-only answer that came after the interim one, told to who clicked as a
   * message of their own: the clicked card may be someone else's (a forwarded card), so it stays.
   */
  'callback.late-answer': {
    queue: 'outbound',
    payload: z.object({ eventId: z.string().min(1), openId: z.string().min(1), type: z.enum(['info', 'success', 'error', 'warning']), text: z.string() }),
  },
  /** The form (or, once filed, the summary) of a project picked on a list, as a new message to who picked it. */
  'pick.send': { queue: 'outbound', payload: z.object({ cycleId: z.number().int(), projectId: z.number().int(), personId: z.number().int() }) },
  /** Tell the people a problem concerns about a change in its state. `event`: the problem_events id. */
  'problem.notify': { queue: 'outbound', payload: z.object({ problemId: z.number().int(), event: z.string() }) },
  /** Interpret and answer one chat message to the bot (recorded in inbound_events under msg:<message_id>). */
  'chat.message': { queue: 'outbound', payload: z.object({ messageId: z.string().min(1) }) },
  /** One notice to the admins listing a cycle's prompts and reminders given up (cycle/send-failure-report.ts). */
  'cycle.send-failures': { queue: 'outbound', payload: z.object({ cycleId: z.number().int() }) },
  /** A plain notice to every admin (e.g. the work calendar has no data for a year). */
  'admin.notify': { queue: 'outbound', payload: z.object({ key: z.string().max(40), text: z.string() }) },
  /** Daily housekeeping: forget inbound de-duplication keys Feishu can no longer re-send. */
  'maintenance.prune': { queue: 'control', payload: z.object({}) },
  /** After a close: the league table to the dispatch group and each region's card to its groups (league/league.post.ts). */
  'league.post': { queue: 'outbound', payload: z.object({ cycleId: z.number().int() }) },
  /** An admin's 导出: the meeting spreadsheet built, uploaded and sent as a file in reply to the message. */
  'league.export': {
    queue: 'outbound',
    payload: z.object({ messageId: z.string().min(1), chatId: z.string().min(1), periodKey: z.string().optional() }),
  },
  /** The bot was added to a group: how an admin binds it (im.chat.member.bot.added_v1). */
  'league.welcome': { queue: 'outbound', payload: z.object({ chatId: z.string().min(1), eventId: z.string().min(1) }) },
  /** Escalation ladder at a cycle's close: store lights, resolve, decide, send leader cards (src/escalation). */
  'escalation.close': { queue: 'control', payload: z.object({ cycleId: z.number().int() }) },
  /** A project's open escalations may have resolved (a report arrived, a problem moved). */
  'escalation.recheck': { queue: 'control', payload: z.object({ projectId: z.number().int() }) },
  /** Tell the leader an escalation closed itself; update the cards showing it. */
  'escalation.resolved': { queue: 'outbound', payload: z.object({ escalationId: z.number().int() }) },
  /** Pass a leader's 督办 / 批示 down to the owner and the department. */
  'escalation.passdown': { queue: 'outbound', payload: z.object({ actionId: z.string() }) },
  /** Re-render the sent cards showing these escalations (after an action). */
  'escalation.cards': { queue: 'outbound', payload: z.object({ escalationIds: z.array(z.number().int()), skipMessageId: z.string().optional() }) },
  /** Daily: fresh cards for open escalations and problems before Feishu's 14-day card lifetime ends. */
  'escalation.refresh': { queue: 'control', payload: z.object({}) },
  /** Retry matching people to Feishu users. */
  'people.sync': { queue: 'control', payload: z.object({}) },
} as const;

export type JobName = keyof typeof jobCatalogue;
export type JobPayload<N extends JobName> = z.infer<(typeof jobCatalogue)[N]['payload']>;
export type QueueName = (typeof jobCatalogue)[JobName]['queue'];
export const QUEUE_NAMES: readonly QueueName[] = ['control', 'outbound'];
