import { runDemo } from '../lab/index.js';
import { untilSignal } from './daemon-support.js';
import type { Io } from './io.js';

/** `breakwater demo`: the lab, the pack, two faults narrated live; runs until Ctrl-C. */
export async function demoCommand(io: Io): Promise<number> {
  const demo = await runDemo({ say: (line) => io.stdout.write(`${line}\n`) });
  await untilSignal();
  io.stderr.write('stopping the demo lab...\n');
  await demo.stop();
  return 0;
}
