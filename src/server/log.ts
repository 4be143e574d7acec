import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { redactSecrets } from '../protocol/index.js';

/**
 * The control plane's logger: pino's JSON lines on stderr, with every argument of every line (the
 * fields, nested or not, and the message) passed through redactSecrets, so a token, an agent
 * credential, an Authorization header, a `?token=` value or a URL's user:password never reaches
 * the log, whichever field or error message carries it. A hook rather than pino's `redact` paths:
 * paths only cover the shapes someone thought of.
 */
export function serverLogger(level: string, destination: DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      base: { component: 'server' },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => redactSecrets(a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/**
 * One line per answered HTTP request: debug, or error for a 5xx (the error handler answers those
 * without logging). The URL is logged as sent, query included; the logger redacts `?token=`.
 */
export function registerRequestLog(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', async (request, reply) => {
    const fields = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime), remote: request.ip };
    if (reply.statusCode >= 500) logger.error(fields, 'request failed');
    else logger.debug(fields, 'request');
  });
}
