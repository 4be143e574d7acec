/** Where a command writes; injected so commands run in-process in tests. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A reader that goes away before the output ends (`breakwater get runs --json | head`) ends the CLI
 * quietly with `exit` (0: the reader had what it wanted), as a C tool ends on SIGPIPE, which Node
 * ignores: without this, the write fails with EPIPE and Node prints a stack trace. Other write
 * errors are not ours to hide and are thrown again.
 *
 * @example
 * endQuietlyWhenReaderLeaves([process.stdout, process.stderr], () => process.exit(0));
 */
export function endQuietlyWhenReaderLeaves(streams: readonly NodeJS.WritableStream[], exit: () => void): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      exit();
    });
  }
}
