// What a CLI command is. Each area keeps its commands in its own *.commands.ts file.
import type { AppContext } from '../platform/app-context.js';

export type CliIo = { out: (line: string) => void; err: (line: string) => void };

export type CliCommand = {
  /** e.g. 'import', 'people sync', 'cycle open' */
  name: string;
  summary: string;
  usage: string;
  /** Whether it needs the full AppContext (database, Redis, Feishu). */
  needsContext: boolean;
  /** Returns the process exit code. */
  run(args: string[], ctx: AppContext | undefined, io: CliIo): Promise<number>;
};
