// @ts-check
import http from 'node:http';
import https from 'node:https';

/**
 * Queries through POST /api/v1/query over one keep-alive connection.
 */
export class Client {
  /** @param {string} server @param {string} token @param {string} ca the control plane's CA (PEM): it serves TLS, as in production */
  constructor(server, token, ca) {
    this.url = new URL('/api/v1/query', server);
    this.token = token;
    this.tls = this.url.protocol === 'https:';
    this.agent = this.tls ? new https.Agent({ keepAlive: true, maxSockets: 1, ca }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /**
   * Runs a statement; resolves with the milliseconds until the summary line arrived, and the
   * summary and rows. The response is read to its end before resolving, so the connection is free.
   * @param {string} statement
   * @returns {Promise<{ ms: number, summary: Record<string, unknown>, rows: Record<string, any>[] }>}
   */
  query(statement) {
    // `yes`: the blast-radius confirmation for commands on more than a few hosts.
    const body = JSON.stringify({ statement, yes: true });
    return new Promise((resolve, reject) => {
      const start = process.hrtime.bigint();
      let ms = NaN;
      /** @type {Record<string, unknown> | undefined} */
      let summary;
      /** @type {Record<string, any>[]} */
      const rows = [];
      const req = (this.tls ? https : http).request(
        this.url,
        { method: 'POST', agent: this.agent, headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          if (res.statusCode !== 200) {
            let text = '';
            res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${text}`)));
            return;
          }
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (/** @type {string} */ chunk) => {
            buffer += chunk;
            let nl = buffer.indexOf('\n');
            while (nl >= 0) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              nl = buffer.indexOf('\n');
              if (!line.trim()) continue;
              const msg = JSON.parse(line);
              if (msg.type === 'row') rows.push(msg.row);
              else if (msg.type === 'summary') {
                ms = Number(process.hrtime.bigint() - start) / 1e6;
                summary = msg;
              } else if (msg.type === 'error') reject(new Error(`query failed: ${msg.message}`));
            }
          });
          res.on('end', () => (summary ? resolve({ ms, summary, rows }) : reject(new Error(`no summary line for ${statement}`))));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close() {
    this.agent.destroy();
  }
}
