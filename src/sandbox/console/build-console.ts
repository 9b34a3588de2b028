// `npm run build`, after tsc: puts the console's page, style and bundled script beside the
// compiled server (dist/src/sandbox/console/public/), so a built sandbox serves them without
// esbuild or the TypeScript sources.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleClient } from './console-bundle.js';

const SOURCE = fileURLToPath(new URL('./public/', import.meta.url));
const TARGET = fileURLToPath(new URL('../../../dist/src/sandbox/console/public/', import.meta.url));

await mkdir(TARGET, { recursive: true });
for (const file of ['index.html', 'console.css']) await copyFile(`${SOURCE}${file}`, `${TARGET}${file}`);
await writeFile(`${TARGET}app.js`, await bundleClient(true));
process.stdout.write(`console page built into ${TARGET}\n`);
