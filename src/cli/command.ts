// What a CLI command is. Each area keeps its commands in its own *.commands.ts file.
import type { AppContext } from '../platform/app-context.js';
import type { CommandNeeds } from './cli-config.js';

export type CliIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Asks the person at the terminal a yes/no question; absent when there is none (no TTY). */
  confirm?: (question: string) => Promise<boolean>;
};

export type CliCommand = {
  /** e.g. 'import', 'people sync', 'cycle open' */
  name: string;
  summary: string;
  usage: string;
  /** Whether it needs the full AppContext (database, Redis, Feishu). */
  needsContext: boolean;
  /**
   * What this command, given these arguments, talks to besides the database (default: Redis and
   * Feishu). Only that part of the configuration is demanded (src/cli/cli-config.ts).
   */
  needs?: (args: string[]) => Partial<CommandNeeds>;
  /** Returns the process exit code. */
  run(args: string[], ctx: AppContext | undefined, io: CliIo): Promise<number>;
};
