/**
 * Where `--pcap DIR` puts each session's capture: for `run`, beside the result's id as the transcripts
 * do (`DIR/<scenario id>/<column>-session<N>.pcapng`, an id's `/` become folders); for `serve`,
 * `DIR/<protocol>-session<N>.pcapng`.
 */
import { join } from 'node:path';
import { identity, type RunOf } from '../engine/identity.js';
import { PcapRecorder } from './recorder.js';

/** A recorder per run, its files named after the run; `onError` hears of a file that cannot be written. */
export function runCaptures(dir: string, onError: (message: string) => void): (run: RunOf) => PcapRecorder {
  return (run) => {
    const { id, scenarioId, column, server } = identity(run);
    const base = join(dir, ...idSegments(id));
    return new PcapRecorder({ file: (n) => `${base}-session${n}.pcapng`, label: `${scenarioId} with ${column} on ${server}`, onError });
  };
}

/** The recorder of `wireprobe serve`. */
export function serveCaptures(dir: string, protocol: 'smtp' | 'ftp', onError: (message: string) => void): PcapRecorder {
  return new PcapRecorder({ file: (n) => join(dir, `${protocol}-session${n}.pcapng`), label: `wireprobe serve ${protocol}`, onError });
}

/** Splits an id into path segments, refusing anything that could escape `dir` or name nothing. */
function idSegments(id: string): string[] {
  const segments = id.split('/');
  const bad = segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0'));
  if (bad) throw new Error(`result id is not a relative path of names: ${JSON.stringify(id)}`);
  return segments;
}
