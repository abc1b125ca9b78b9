import { Inject, Injectable, Logger, ServiceUnavailableException, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { HealthCheckResult } from '@nestjs/terminus';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { metricsAuthorized } from './metrics.js';
import { Readiness } from './readiness.service.js';
import { WorkerMetrics } from './worker-metrics.service.js';

/**
 * Each worker's own small HTTP server on WORKER_METRICS_PORT (default 9464, 0 = none): GET
 * /metrics (METRICS_TOKEN as a bearer token when set), /health/live and /health/ready. A worker
 * has no other HTTP surface. A port already taken is logged, and the worker runs on without it:
 * its jobs matter more than its metrics.
 */
@Injectable()
export class WorkerHttpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerHttp');
  private server: Server | undefined;

  constructor(
    private readonly metrics: WorkerMetrics,
    private readonly readiness: Readiness,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The port it listens on (undefined when off or not started). */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.workerMetricsPort === 0) return;
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.workerMetricsPort, '0.0.0.0', () => resolve());
      });
      this.server = server;
      this.logger.log(`Metrics and health on port ${this.port}`);
    } catch (err) {
      this.logger.error(`Could not serve metrics on port ${this.config.workerMetricsPort} (${(err as NodeJS.ErrnoException).code ?? 'error'}): set WORKER_METRICS_PORT to a free port, or 0`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.send(res, 405, 'text/plain', 'method not allowed\n', { Allow: 'GET, HEAD' });
    if (path === '/metrics') {
      if (!metricsAuthorized(this.config.metricsToken, req.headers.authorization)) {
        return this.send(res, 401, 'application/json', JSON.stringify({ statusCode: 401, error: 'unauthorized', message: 'Send METRICS_TOKEN as "Authorization: Bearer <token>"' }), { 'WWW-Authenticate': 'Bearer' });
      }
      return this.send(res, 200, this.metrics.registry.contentType, await this.metrics.registry.metrics());
    }
    if (path === '/health/live' || path === '/health/ready' || path === '/health') {
      const check = path === '/health/live' ? () => this.readiness.live() : () => this.readiness.ready();
      const [status, body] = await check().then(
        (r: HealthCheckResult) => [200, r] as const,
        (err: unknown) => {
          if (err instanceof ServiceUnavailableException) return [503, err.getResponse()] as const;
          throw err;
        },
      );
      return this.send(res, status, 'application/json', JSON.stringify(body));
    }
    this.send(res, 404, 'application/json', JSON.stringify({ statusCode: 404, error: 'not_found', message: 'Try /metrics, /health/live or /health/ready' }));
  }

  private send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }
}
