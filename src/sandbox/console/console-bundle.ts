// The page's script. `npm run build` bundles it next to the compiled server (public/app.js, see
// build-console.ts), and that file is served as it is; running from source (tsx), it is bundled
// from client/ with esbuild the first time the page is asked for, then kept in memory. Either
// way nothing is fetched from outside. esbuild is loaded only then: production installs lack it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./client/main.ts', import.meta.url));
const PREBUILT = fileURLToPath(new URL('./public/app.js', import.meta.url));

let bundled: Promise<string> | undefined;

export function consoleBundle(): Promise<string> {
  bundled ??= (existsSync(PREBUILT) ? readFile(PREBUILT, 'utf8') : bundleClient(false)).catch((e: unknown) => {
    bundled = undefined;
    throw e;
  });
  return bundled;
}

/** Bundles client/main.ts into one browser script. */
export async function bundleClient(minify: boolean): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify,
    sourcemap: minify ? false : 'inline',
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}
