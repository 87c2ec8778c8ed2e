// The device-facing side of UMP: the HTTP/MQTT intake and the telemetry writer.
export * from './intake';
export * from './writer';
export * from './rules';
