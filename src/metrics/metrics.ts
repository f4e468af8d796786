/**
 * One Prometheus registry per server (not prom-client's global one, so several
 * servers in one process, as in the tests, never share series), plus text
 * sources rendered by the components that own their counts.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface MetricsOptions {
  /**
   * /metrics has a listener of its own (config `metrics.listen`): route() then
   * leaves the API's server without it, and serve() puts it on the other one.
   */
  ownListener?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly #sources: (() => string | Promise<string>)[] = [];
  readonly #requests: Counter<'method' | 'route' | 'status_code'>;
  readonly #latency: Histogram<'method' | 'route'>;
  readonly #ownListener: boolean;

  constructor(opts: MetricsOptions = {}) {
    this.#ownListener = opts.ownListener === true;
    collectDefaultMetrics({ register: this.registry, prefix: 'vpcep_' });
    this.#requests = new Counter({
      name: 'vpcep_http_requests_total',
      help: 'API requests answered, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers: [this.registry],
    });
    this.#latency = new Histogram({
      name: 'vpcep_http_request_duration_seconds',
      help: 'Time from request received to response sent, by method and route template.',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Counts every response of `app`; the route template keeps label cardinality bounded. */
  instrument(app: FastifyInstance): void {
    // One label object per method, route and status, made once instead of per
    // response (prom-client still finds the series by hashing it on each call).
    // The key set is bounded like the series themselves (route templates, not paths).
    const series = new Map<
      string,
      {
        requests: Counter.Internal;
        latency: Histogram.Internal<'method' | 'route'>;
      }
    >();
    app.addHook('onResponse', (request, reply, done) => {
      // Unmatched paths share one label so scanning clients cannot grow the series without bound.
      const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
      const status = reply.statusCode;
      const key = `${request.method} ${status} ${route}`;
      let one = series.get(key);
      if (one === undefined) {
        one = {
          requests: this.#requests.labels({ method: request.method, route, status_code: String(status) }),
          latency: this.#latency.labels({ method: request.method, route }),
        };
        series.set(key, one);
      }
      one.requests.inc();
      one.latency.observe(reply.elapsedTime / 1000);
      done();
    });
  }

  /**
   * Adds text in the exposition format, rendered at each scrape after the
   * registry's own series; a source may first fetch its counts (the data
   * plane asks its worker processes).
   */
  addSource(render: () => string | Promise<string>): void {
    this.#sources.push(render);
  }

  async render(): Promise<string> {
    const own = await this.registry.metrics();
    const sources = await Promise.all(this.#sources.map(async (s) => s()));
    return [own, ...sources].map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('');
  }

  /**
   * GET /metrics on the API's server, public like the health checks a scraper
   * needs; nothing when metrics have a listener of their own.
   */
  route(app: FastifyInstance): void {
    if (!this.#ownListener) this.serve(app);
  }

  /** GET /metrics on `app` in any case: the server of a node without the API, or the metrics listener. */
  serve(app: FastifyInstance): void {
    app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-type', this.contentType);
      return this.render();
    });
  }
}
