/**
 * A user's own server configuration (`--server postfix:./main.cf`): which launchers take one, the
 * one-line reasons the others do not, and what every format's merger shares. A merger keeps the user's
 * settings and overrides only what a private instance on loopback must own (ports, addresses, paths,
 * where mail and uploads land, anything that would reach outside); each override is listed.
 */
import { existsSync, readFileSync } from 'node:fs';

/** A line of a user's config file the server would not read: `line N: expected ...`. */
export class UserConfigSyntaxError extends Error {}

/** One setting of the user's that the launcher replaced: its key, the user's value, and ours. */
export interface Overridden {
  readonly key: string;
  readonly user: string;
  /** The value the server runs with; REMOVED when the setting was dropped (the server's default applies). */
  readonly ours: string;
}

/** `ours` of a setting dropped from the user's file: the server's own default applies. */
export const REMOVED = '(removed: server default)';

/** The servers that take a user's config file. */
export type ConfigurableServer = 'postfix' | 'vsftpd' | 'proftpd';

/** Why a server takes no user config file, for those that do not. */
export const NOT_CONFIGURABLE: Readonly<Record<string, string>> = {
  'pure-ftpd': 'pure-ftpd has no config file (it takes options)',
  exim: "exim's Debian configuration is a split template: not supported",
};

export function isConfigurable(name: string): name is ConfigurableServer {
  return name === 'postfix' || name === 'vsftpd' || name === 'proftpd';
}

/** What a merger may ask of this machine (tests give a fake). */
export interface Machine {
  /** Whether a file or directory exists at the absolute `path`. */
  exists(path: string): boolean;
  /** Whether the system account `name` exists. */
  hasAccount(name: string): boolean;
  /** The text of the file at `path`, or undefined when it cannot be read. */
  read(path: string): string | undefined;
}

/** This machine, read synchronously (a merger runs once per server start, on a small file). */
export const THIS_MACHINE: Machine = {
  exists: (path) => existsSync(path),
  hasAccount: (name) => {
    const passwd = readOr('/etc/passwd') ?? '';
    return passwd.split('\n').some((line) => line.split(':')[0] === name);
  },
  read: readOr,
};

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A merger's result: the config the server runs with, and every setting of the user's it replaced. */
export interface Merged {
  readonly text: string;
  readonly overridden: readonly Overridden[];
}

/**
 * Records one decision about a user's key in `overridden` (when the value changes) and returns the
 * value to write, undefined to drop the key.
 */
export function decide(overridden: Overridden[], key: string, user: string, ours: string | undefined): string | undefined {
  if (ours !== user) overridden.push({ key, user, ours: ours ?? REMOVED });
  return ours;
}

/** Whether `path` is an absolute path without `$` references that does not exist here. */
export function missingPath(path: string, machine: Machine): boolean {
  return path.startsWith('/') && !path.includes('$') && !machine.exists(path);
}
