export * from './dead-letter';
export * from './device-events';
export * from './telemetry';
export * from './alert-signals';
export * from './alert-events';
export * from './ticket-events';
