// The device-facing side of UMP: HTTP/MQTT intake, the telemetry writer and the rule
// worker arrive here with the telemetry pipeline. Nothing is exported yet.
export {};
