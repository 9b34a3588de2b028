// Public surface of the simulated Feishu tenant.
export { FakeFeishu, SANDBOX_APP_ID, SANDBOX_APP_SECRET } from './fake-feishu.js';
export type { FakeFeishuOptions, SandboxLogger, SandboxStats } from './fake-feishu.js';
export { FeishuDriver, tamper } from './callback-driver.js';
export type {
  CardActionParams,
  Delivery,
  DeliveryOptions,
  DeliveryResult,
  FeishuDriverOptions,
  MessageEventParams,
} from './callback-driver.js';
export { decryptPayload, encryptPayload, signPayload } from './lark-crypto.js';
export { normalizeMobile, peopleFromRegistryCsv } from './directory.js';
export type { NewUser, SandboxChat, SandboxUser } from './directory.js';
export type { FaultKind, FaultSpec } from './faults.js';
export type { SandboxMessage, MessagePatch, UrgentRecord } from './message-store.js';
export type { RequestRecord } from './open-api-pipeline.js';
export { DEFAULT_LIMITS } from './tenant.js';
export type { SandboxLimits } from './tenant.js';
export type { WsAck } from './ws-gateway.js';
export { CODES } from './feishu-codes.js';
export { runSandbox } from './standalone.js';
export { validateCard, cardRefusal, CARD_CODES } from './card-validator.js';
export type { CardViolation } from './card-validator.js';
export { CARD_LIFETIME_MS, CARD_LOCKED } from './card-checks.js';
export { CallbackRefusedError, CALLBACK_DEADLINE_MS } from './callback-rules.js';
export type { CallbackClientError } from './callback-rules.js';
export { attachConsole } from './console/console-server.js';
export type { ConsoleOptions } from './console/console-server.js';
