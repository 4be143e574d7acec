import { connect as connectHttp2, constants } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { connect as connectSocket } from 'node:net';

/** Bounds on one exchange with a gRPC server on a Unix socket. */
export interface GrpcLimits {
  /** The whole answer (all its frames), beyond which the call is cancelled. */
  readonly maxAnswerBytes: number;
  /** For the whole exchange, connection included. */
  readonly timeoutMs: number;
}

/**
 * A gRPC server on a Unix socket (a container runtime's CRI), spoken to with node:http2 alone:
 * one connection for the calls of one {@link call} batch, unary calls only. Each answer is checked
 * (HTTP status, content type, `grpc-status`) and bounded in size and time; a failure rejects with
 * a message that names the socket and the method.
 *
 * @example
 * const [answer] = await grpcUnary('/run/containerd/containerd.sock', [{ method: '/runtime.v1.RuntimeService/ListContainers', request: Buffer.alloc(0) }], { maxAnswerBytes: 1 << 23, timeoutMs: 2000 });
 */
export async function grpcUnary(socketPath: string, calls: readonly { readonly method: string; readonly request: Buffer }[], limits: GrpcLimits): Promise<Buffer[]> {
  const session = connectHttp2('http://localhost', { createConnection: () => connectSocket(socketPath) });
  // A session error also fails each of its streams; this keeps it from being an unhandled 'error'.
  session.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.all(calls.map((c) => unary(session, c.method, c.request, limits.maxAnswerBytes))),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${limits.timeoutMs} ms`)), limits.timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new Error(`container runtime at ${socketPath}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    session.destroy();
  }
}

/** gRPC's length-prefixed message framing: a compressed flag byte, then a 4-byte big-endian length. */
const FRAME_HEADER = 5;

function unary(session: ClientHttp2Session, method: string, request: Buffer, maxAnswerBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const frame = Buffer.alloc(FRAME_HEADER + request.length);
    frame.writeUInt32BE(request.length, 1);
    request.copy(frame, FRAME_HEADER);
    const stream = session.request({ ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers' });
    const fail = (why: string) => {
      stream.close(constants.NGHTTP2_CANCEL);
      reject(new Error(`${method}: ${why}`));
    };
    let headers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('response', (h) => (headers = h));
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxAnswerBytes) fail(`answer larger than ${maxAnswerBytes} bytes`);
      else chunks.push(chunk);
    });
    stream.on('error', (err) => reject(new Error(`${method}: ${err.message}`)));
    let trailers: Record<string, unknown> = {};
    stream.on('trailers', (t) => (trailers = t));
    stream.on('end', () => {
      // A failed call may answer with headers only ("trailers-only"): its grpc-status is among them.
      const status = trailers['grpc-status'] ?? headers['grpc-status'];
      const message = String(trailers['grpc-message'] ?? headers['grpc-message'] ?? '').slice(0, 200);
      if (headers[':status'] !== 200) return fail(`HTTP ${String(headers[':status'])}, not a gRPC server`);
      if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) return fail(`content type ${JSON.stringify(headers['content-type'])}, not a gRPC server`);
      if (status !== '0') return fail(`gRPC status ${String(status)}${message ? `: ${percentDecoded(message)}` : ''}`);
      try {
        resolve(unframe(Buffer.concat(chunks)));
      } catch (err) {
        fail((err as Error).message);
      }
    });
    stream.end(frame);
  });
}

/** `grpc-message` is percent-encoded; a malformed one is shown as it came. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The one message of a unary answer. */
export function unframe(body: Buffer): Buffer {
  if (body.length < FRAME_HEADER) throw new Error(`answer of ${body.length} bytes, shorter than a gRPC frame`);
  if (body[0] !== 0) throw new Error('answer is compressed, which the agent did not ask for');
  const length = body.readUInt32BE(1);
  if (length !== body.length - FRAME_HEADER) throw new Error(`answer frame says ${length} bytes, ${body.length - FRAME_HEADER} came`);
  return body.subarray(FRAME_HEADER);
}
