export * from './dead-letter';
export * from './device-events';
export * from './telemetry';
