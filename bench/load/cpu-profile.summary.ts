import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One function's share of the samples. */
export interface SelfTime {
  name: string;
  /** `file:line`, relative to the repository or `node_modules`. */
  location: string;
  ms: number;
  share: number;
}

/** The `count` functions with the most self time in a V8 `.cpuprofile` (idle excluded). */
export async function topSelfTime(path: string, count: number): Promise<{ busyMs: number; idleMs: number; top: SelfTime[] }> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, SelfTime>();
  let idleMs = 0;
  let busyMs = 0;
  profile.samples.forEach((nodeId, index) => {
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1_000;
    const frame = frames.get(nodeId)!;
    if (frame.functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    busyMs += ms;
    const location = frame.url ? `${shorten(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${location}`;
    const entry = byFunction.get(key) ?? { name, location, ms: 0, share: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
  });
  const top = [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, count);
  for (const entry of top) entry.share = entry.ms / busyMs;
  return { busyMs, idleMs, top };
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules !== -1) return path.slice(modules + 'node_modules/'.length);
  const dist = path.indexOf('/dist/');
  return dist === -1 ? path : path.slice(dist + '/dist/'.length);
}
