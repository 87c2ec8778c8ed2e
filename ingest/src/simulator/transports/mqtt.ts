import { connect as mqttConnect, type MqttClient } from 'mqtt';
import { withRetry } from '../concurrency';
import type { SimDevice } from '../provision';
import { OTA_DOWNLINK_TOPIC, OTA_STATUS_TOPIC } from '../ota/protocol';
import { SendError, type DeviceLink, type Transport } from './transport';

/** The ThingsBoard-compatible topic a device publishes its telemetry to. */
export const TELEMETRY_TOPIC = 'v1/devices/me/telemetry';

/** Options of `createMqttTransport`. */
export interface MqttTransportOptions {
  /** Broker URL, e.g. mqtt://localhost:1883. */
  url: string;
  /** Tries per device before it counts as not connected (default 5). */
  connectAttempts?: number;
  /** How long one CONNECT may take (default 10,000 ms). */
  connectTimeoutMs?: number;
  /**
   * Called when a connected device loses its connection (the broker closed it, e.g. after
   * refusing a publish, or the network failed); it reconnects by itself.
   */
  onConnectionLost?: (device: SimDevice) => void;
  /**
   * An OTA status report not acknowledged within this time fails with reason `timeout`
   * (default 10,000 ms); telemetry is bounded by the sender instead.
   */
  reportTimeoutMs?: number;
}

/** `connection-closed` for "Connection closed": reasons stay short and countable. */
function reasonSlug(error: Error & { code?: string | number }): string {
  if (typeof error.code === 'string') return error.code;
  return error.message.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'error';
}

// CONNACK return codes of MQTT 3.1.1 that no retry will fix.
const REFUSED: Record<number, string> = { 1: 'protocol', 2: 'client-id', 4: 'bad-credentials', 5: 'not-authorized' };

/**
 * One MQTT 3.1.1 connection per device, its access token as the username, publishing QoS 1
 * to `v1/devices/me/telemetry`; a message counts as accepted on PUBACK. Connecting retries
 * with jittered back-off (a refused CONNACK is not retried: reason `connect:not-authorized`
 * etc.). Once connected, a dropped connection reconnects every second, and publishes wait in
 * the client until then. OTA: a listening device subscribes to `v1/devices/me/ota` (QoS 1)
 * and publishes its reports to `v1/devices/me/ota/status` (QoS 1, PUBACK = accepted).
 */
export function createMqttTransport(opts: MqttTransportOptions): Transport {
  const attempts = opts.connectAttempts ?? 5;
  const connectTimeout = opts.connectTimeoutMs ?? 10_000;

  const connectOnce = (device: SimDevice) =>
    new Promise<MqttClient>((resolve, reject) => {
      const client = mqttConnect(opts.url, {
        username: device.token,
        clientId: device.name,
        protocolVersion: 4,
        clean: true,
        keepalive: 60,
        connectTimeout,
        // Retries are ours during the first connect (bounded, with back-off); mqtt.js's own
        // fixed-period reconnect takes over only once the device is up.
        reconnectPeriod: 0,
      });
      // Only our own listeners come off: mqtt.js listens to its own 'connect' and 'close' events
      // to flush queued publishes, clear its timers and reconnect.
      const onConnect = () => {
        // An EventEmitter without an 'error' listener throws; errors surface through publishes.
        client.on('error', () => undefined);
        detach();
        resolve(client);
      };
      const onError = (error: Error & { code?: string | number }) => {
        const refused = typeof error.code === 'number' ? REFUSED[error.code] : undefined;
        fail(new SendError(`connect:${refused ?? error.code ?? 'error'}`, error.message));
      };
      const onClose = () => fail(new SendError('connect:closed'));
      const detach = () => {
        client.off('connect', onConnect);
        client.off('error', onError);
        client.off('close', onClose);
      };
      const fail = (error: SendError) => {
        detach();
        client.on('error', () => undefined);
        client.end(true);
        reject(error);
      };
      client.on('connect', onConnect);
      client.on('error', onError);
      client.on('close', onClose);
    });

  return {
    async connect(device, signal): Promise<DeviceLink> {
      const client = await withRetry(() => connectOnce(device), {
        attempts,
        baseMs: 250,
        retryable: (error) => !(error instanceof SendError && Object.values(REFUSED).some((r) => error.reason === `connect:${r}`)),
        signal,
      });
      client.options.reconnectPeriod = 1_000;
      // 'offline' fires once per outage, and not when we end the client ourselves.
      client.on('offline', () => opts.onConnectionLost?.(device));
      let closed = false;
      const publish = (topic: string, body: string) =>
        new Promise<void>((resolve, reject) => {
          client.publish(topic, body, { qos: 1 }, (error) => (error ? reject(new SendError(`mqtt:${reasonSlug(error)}`, error.message)) : resolve()));
        });
      const reportTimeoutMs = opts.reportTimeoutMs ?? 10_000;
      return {
        send: (message) => publish(TELEMETRY_TOPIC, JSON.stringify(message.payload)),
        ota: {
          async listen(onMessage) {
            // Listening before subscribing: the intake sends the pending assignment right after the SUBACK.
            client.on('message', (topic, payload) => {
              if (topic === OTA_DOWNLINK_TOPIC) onMessage(payload.toString());
            });
            // mqtt.js subscribes again by itself after a reconnect, and the intake then resends what is pending.
            const granted = await client.subscribeAsync(OTA_DOWNLINK_TOPIC, { qos: 1 });
            if (granted.some((g) => g.qos === 128)) throw new SendError('mqtt:subscribe-refused');
          },
          report: (report) => {
            let timer: NodeJS.Timeout | undefined;
            const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new SendError('timeout')), reportTimeoutMs)));
            return Promise.race([publish(OTA_STATUS_TOPIC, JSON.stringify(report)), timeout]).finally(() => clearTimeout(timer));
          },
        },
        // mqtt.js clears `connected` only once the socket has closed; ours counts from close().
        isConnected: () => !closed && client.connected,
        close: () => {
          closed = true;
          return client.endAsync(true);
        },
      };
    },
    async close() {
      // Nothing shared: every device owns its connection.
    },
  };
}
