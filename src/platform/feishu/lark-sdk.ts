// The Feishu SDK's runtime, loaded with require() rather than `import`. The SDK is one 6 MB
// CommonJS file; importing CommonJS from an ES module makes Node scan its source for named exports
// with a WebAssembly lexer whose memory grows to the largest file it has scanned and is never given
// back, which kept about 30 MB of RSS in every process for the SDK alone. require() skips that
// scan. Its types are re-exported here too, so this is the one module that names the package.
import { createRequire } from 'node:module';
import type * as Sdk from '@larksuiteoapi/node-sdk';

export const sdk = createRequire(import.meta.url)('@larksuiteoapi/node-sdk') as typeof Sdk;

/** The SDK's types, for modules that use its runtime through `sdk`. */
export type { Sdk as lark };
