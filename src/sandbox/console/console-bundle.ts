// The page's script, bundled from the TypeScript under client/ with esbuild the first time the
// page is asked for, then kept in memory: no build step to forget, nothing fetched from outside.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./client/main.ts', import.meta.url));

let bundled: Promise<string> | undefined;

export function consoleBundle(): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  }).then(
    (r) => r.outputFiles[0]?.text ?? '',
    (e: unknown) => {
      bundled = undefined;
      throw e;
    },
  );
  return bundled;
}
