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

/** The user's configurations among `results`, in order of first appearance, overrides deduplicated. */
export function serverConfigNotes(results: readonly Result[]): ServerConfigNote[] {
  const notes = new Map<string, { file: string; overridden: Map<string, ServerConfig['overridden'][number]> }>();
  for (const r of results) {
    if (!r.serverConfig) continue;
    const note = notes.get(r.server) ?? { file: r.serverConfig.file, overridden: new Map() };
    for (const o of r.serverConfig.overridden) note.overridden.set(JSON.stringify([o.key, o.user, o.ours]), o);
    notes.set(r.server, note);
  }
  return [...notes].map(([server, { file, overridden }]) => ({ server, file, overridden: [...overridden.values()] }));
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
