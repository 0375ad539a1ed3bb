import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What `/readyz` reports: ready or not, with details an operator can read. */
export interface Readiness {
  readonly ready: boolean;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface OpsServerOptions {
  /** Registry served at /metrics. */
  readonly registry: Registry;
  /** Address to bind; loopback by default so nothing is exposed unless asked. */
  readonly host: string;
  /** Port to bind; 0 picks a free one. */
  readonly port: number;
  /** Called on every /readyz request. */
  readonly readiness: () => Readiness | Promise<Readiness>;
}

/** A running operations endpoint: /metrics, /healthz (alive) and /readyz (able to do its work). */
export interface OpsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the HTTP server that Prometheus scrapes and orchestrators probe. */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => {
    route(options, req, res).catch((error: unknown) => send(res, 500, 'text/plain', `internal error: ${String(error)}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, port, close: () => closeServer(server) };
}

async function route(options: OpsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
  switch (path) {
    case '/metrics':
      return send(res, 200, options.registry.contentType, await options.registry.metrics());
    case '/healthz':
      return send(res, 200, 'application/json', '{"status":"ok"}\n');
    case '/readyz': {
      const readiness = await options.readiness();
      const body = JSON.stringify({ status: readiness.ready ? 'ready' : 'not ready', ...readiness.details });
      return send(res, readiness.ready ? 200 : 503, 'application/json', `${body}\n`);
    }
    default:
      return send(res, 404, 'text/plain', 'not found\n');
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
