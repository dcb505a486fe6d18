export { correlationIdFrom, currentCorrelationId, runWithCorrelationId } from './correlation';
export { createRootLogger, PinoNestLogger } from './logger';
export { Metrics } from './metrics';
export { ObservabilityModule } from './observability.module';
