import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** One function's share of the samples. */
export interface SelfTime {
  name: string;
  /** `file:line`, relative to the repository or `node_modules`. */
  location: string;
  samples: number;
  share: number;
}

/**
 * Self time summed over V8 `.cpuprofile` files, in samples.
 * NOTE: samples, not the time between them: on a busy machine the sampler thread is starved, and a
 * 300 ms gap would be charged to whichever function the next sample happens to land in.
 */
export interface ProfileSummary {
  busySamples: number;
  idleSamples: number;
  /** The functions with the most self time, most first. */
  top: SelfTime[];
}

/** The `count` functions with the most self samples over the `.cpuprofile` files at `paths` (idle excluded). */
export async function topSelfTime(paths: readonly string[], count: number): Promise<ProfileSummary> {
  const summary: ProfileSummary = { busySamples: 0, idleSamples: 0, top: [] };
  const byFunction = new Map<string, SelfTime>();
  for (const path of paths) addProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, summary, byFunction);
  summary.top = [...byFunction.values()].sort((a, b) => b.samples - a.samples).slice(0, count);
  for (const entry of summary.top) entry.share = entry.samples / summary.busySamples;
  return summary;
}

function addProfile(profile: CpuProfile, summary: ProfileSummary, byFunction: Map<string, SelfTime>): void {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  for (const nodeId of profile.samples) {
    const frame = frames.get(nodeId)!;
    if (frame.functionName === '(idle)') {
      summary.idleSamples += 1;
      continue;
    }
    summary.busySamples += 1;
    const location = frame.url ? `${shorten(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${location}`;
    const entry = byFunction.get(key) ?? { name, location, samples: 0, share: 0 };
    entry.samples += 1;
    byFunction.set(key, entry);
  }
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules !== -1) return path.slice(modules + 'node_modules/'.length);
  const dist = path.indexOf('/dist/');
  return dist === -1 ? path : path.slice(dist + '/dist/'.length);
}
