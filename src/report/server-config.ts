/**
 * The user's own server configurations a run used (`--server postfix:./main.cf`) and what of each the
 * launcher overrode, gathered per server for the reports that print them once per server (console,
 * HTML) rather than per result (JSON, JUnit).
 */
import type { Result, ServerConfig } from '../engine/types.js';

/** One server name run from a user's config file, with every override any of its runs listed (knobs vary per scenario). */
export interface ServerConfigNote {
  readonly server: string;
  readonly file: string;
  readonly overridden: ServerConfig['overridden'];
}

/** A launcher's private folder for one instance (`/tmp/wireprobe-vsftpd-kwJWVM`): the same setting whatever the instance. */
const INSTANCE_DIR = /\/[^\s"]*\/wireprobe-[\w-]+-[A-Za-z0-9]{6}(?=\/|$|\s|")/g;

/** Distinct values of one override over the runs: one, a few listed, or many (a port per instance). */
function across(values: readonly string[]): string {
  const distinct = [...new Set(values)];
  if (distinct.length === 1) return distinct[0]!;
  return distinct.length <= 3 ? `(per run: ${distinct.join(', ')})` : '(set per run)';
}

/**
 * The user's configurations among `results`, in order of first appearance, one entry per setting: what
 * changes per instance (its private folder, its ports) or per scenario (a knob) is said once.
 */
export function serverConfigNotes(results: readonly Result[]): ServerConfigNote[] {
  const notes = new Map<string, { file: string; overridden: Map<string, { key: string; user: string; ours: string[] }> }>();
  for (const r of results) {
    if (!r.serverConfig) continue;
    const note = notes.get(r.server) ?? { file: r.serverConfig.file, overridden: new Map() };
    for (const o of r.serverConfig.overridden) {
      const id = JSON.stringify([o.key, o.user]);
      const entry = note.overridden.get(id) ?? { key: o.key, user: o.user, ours: [] };
      entry.ours.push(o.ours.replace(INSTANCE_DIR, '<private dir>'));
      note.overridden.set(id, entry);
    }
    notes.set(r.server, note);
  }
  return [...notes].map(([server, { file, overridden }]) => ({
    server,
    file,
    overridden: [...overridden.values()].map((o) => ({ key: o.key, user: o.user, ours: across(o.ours) })),
  }));
}

/** One override as text: `relayhost: "[smtp.example]:587" -> (removed: server default)`. */
export function formatOverride(o: ServerConfig['overridden'][number]): string {
  return `${o.key}: ${JSON.stringify(o.user)} -> ${o.ours.startsWith('(') ? o.ours : JSON.stringify(o.ours)}`;
}

/** The note's header: `postfix:main.cf runs ./main.cf, 3 settings overridden`. */
export function noteHeader(note: ServerConfigNote): string {
  const n = note.overridden.length;
  return `${note.server} runs ${note.file}, ${n === 0 ? 'nothing' : `${n} setting${n === 1 ? '' : 's'}`} overridden`;
}
