/**
 * CPU profile of one phase of an in-process benchmark (PROFILE=<folder>): a .cpuprofile per phase,
 * for Chrome DevTools or speedscope. Without PROFILE, `profiled` just runs the phase.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

export async function profiled<T>(name: string, phase: () => Promise<T>): Promise<T> {
  const folder = process.env.PROFILE;
  if (!folder) return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
