import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; every metric Countersign exports is declared here. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'countersign_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'countersign_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly approvals = new Counter({
    name: 'countersign_approvals_total',
    help: 'Approvals entering a status, by tier and status',
    labelNames: ['tier', 'status'] as const,
    registers: [this.registry],
  });

  readonly decisions = new Counter({
    name: 'countersign_decisions_total',
    help: 'Decisions people recorded, by verdict and channel',
    labelNames: ['verdict', 'channel'] as const,
    registers: [this.registry],
  });

  readonly fastDecisions = new Counter({
    name: 'countersign_fast_decisions_total',
    help: 'Decisions made under two seconds after the person first opened the approval',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });

  readonly circuitBreakerTrips = new Counter({
    name: 'countersign_circuit_breaker_trips_total',
    help: 'Agents suspended automatically after too many refusals or denials',
    registers: [this.registry],
  });

  readonly scimRefusalsThrottled = new Counter({
    name: 'countersign_scim_refusals_throttled_total',
    help: 'SCIM requests answered 429 unchecked and unaudited: their address was refused too often within the minute',
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'countersign_queue_jobs',
    help: 'Jobs in each queue by state',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'countersign_' });
  }
}
