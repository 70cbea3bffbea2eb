/**
 * Preloaded (`--import`) into one demo instance by `npm run load` when `LOAD_PROFILE` is set: `SIGWINCH`
 * starts the V8 CPU profiler, the next `SIGWINCH` stops it and writes the profile to
 * `LOAD_PROFILE_FILE` + `-<n>.cpuprofile` (n = 1, 2, ...).
 * NOTE: a signal, not `--cpu-prof`, so that the profile covers the measured slices of one run only;
 * SIGWINCH because Nest's shutdown hooks take the other catchable signals.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

const file = process.env.LOAD_PROFILE_FILE;

if (file) {
  const session = new Session();
  session.connect();
  let profiling = false;
  let written = 0;
  process.on('SIGWINCH', () => {
    profiling = !profiling;
    void (profiling ? start(session) : stop(session, `${file}-${(written += 1)}.cpuprofile`));
  });
}

async function start(session: Session): Promise<void> {
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}

async function stop(session: Session, path: string): Promise<void> {
  const { profile } = await session.post('Profiler.stop');
  await writeFile(path, JSON.stringify(profile));
}
