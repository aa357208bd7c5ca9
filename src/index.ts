/**
 * wireprobe as a library: misbehaving SMTP and FTP servers, and the fault proxy alone, started from a
 * test; faults armed, planned and disarmed while they run; what arrived asserted in code.
 *
 *   import { startSmtp, startFtp, startProxy, fault } from 'wireprobe';
 *
 * And the shapes a client module (`--client ./my-client.mjs`) is written against: its jobs, and
 * `defineClient` for a typed default export.
 */
export { startSmtp } from './lib/smtp.js';
export { startFtp } from './lib/ftp.js';
export { startProxy } from './lib/proxy.js';
export { startControl, type ControlOptions, type ControlServer } from './control/control.js';
export { fault } from './lib/faults.js';
export type * from './lib/types.js';
export type { Fault, FaultKind } from './faults/types.js';
export { FaultSyntaxError } from './faults/parse.js';
export { defineConfig, defineScenarios } from './config/define.js';
export type { ScenarioFileInput } from './config/scenario-schema.js';
export type { ConfigInput } from './config/config-schema.js';
export { WireprobeError, isWireprobeError, type WireprobeErrorCode } from './util/errors.js';
export { defineClient, type ModuleClient, type ModuleDownload, type ModuleFtpJob as FtpJob, type ModuleSmtpJob as SmtpJob } from './clients/module-types.js';
export type { ClientError, ClientReport, FtpMode, Timeouts, TlsMode } from './clients/types.js';
export type { Content } from './util/content.js';
