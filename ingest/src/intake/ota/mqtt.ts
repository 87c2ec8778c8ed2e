import type { Logger } from '@ump/core';
import type { Aedes, Client, Subscription } from 'aedes';
import type { DeviceCredential } from '../credentials';
import type { DownlinkEndpoint, OtaDownlink } from './downlink';
import { OTA_DOWNLINK_TOPIC, type OtaDeviceMessage } from './protocol';

// SUBACK return code of a refused subscription (MQTT 3.1.1).
const REFUSED = 128;

/**
 * The aedes half of the OTA downlink. Every device subscribes to the same literal topic,
 * so messages are never routed through the broker (a broker publish would reach every
 * device): each subscribed connection becomes a DownlinkEndpoint that writes to that one
 * client. This relies on devices never being allowed to publish to the downlink topic
 * (mqtt.ts refuses every topic but telemetry and status, wills included).
 */
export function createOtaMqttDownlink({ downlink, logger }: { downlink: OtaDownlink; logger: Logger }) {
  const endpoints = new WeakMap<Client, DownlinkEndpoint>();

  const attach = (client: Client, device: DeviceCredential) => {
    let endpoint = endpoints.get(client);
    if (!endpoint) {
      endpoint = {
        device: { tenantId: device.tenantId, deviceId: device.deviceId },
        send(message: OtaDeviceMessage) {
          if (client.closed) return;
          // The QoS the device was granted (0 or 1); aedes keeps it per topic.
          const qos = subscriptionsOf(client)[OTA_DOWNLINK_TOPIC]?.qos === 1 ? 1 : 0;
          const payload = Buffer.from(JSON.stringify(message));
          client.publish({ cmd: 'publish', topic: OTA_DOWNLINK_TOPIC, payload, qos, retain: false, dup: false }, (error) => {
            if (error) logger.debug({ err: error, deviceId: device.deviceId }, 'could not push an OTA message');
          });
        },
      };
      endpoints.set(client, endpoint);
    }
    void downlink.attach(endpoint);
  };

  const detach = (client: Client) => {
    const endpoint = endpoints.get(client);
    if (!endpoint) return;
    endpoints.delete(client);
    downlink.detach(endpoint);
  };

  return {
    /** Whether `topic` is the downlink topic, the only one a device may subscribe to. */
    allows: (topic: string) => topic === OTA_DOWNLINK_TOPIC,
    /** The subscription as granted: QoS 2 is downgraded to 1. */
    grant: (subscription: Subscription): Subscription => ({ ...subscription, qos: Math.min(subscription.qos, 1) as 0 | 1 }),
    /**
     * Attaches a connection on a granted subscription (and on reconnecting into a persistent
     * session that has one, which aedes restores without a SUBSCRIBE), detaches it on
     * unsubscribe and disconnect. `deviceOf` is the device a client authenticated as.
     */
    bind(broker: Aedes, deviceOf: (client: Client) => DeviceCredential | undefined) {
      const attachIfKnown = (client: Client) => {
        const device = deviceOf(client);
        if (device) attach(client, device);
      };
      broker.on('subscribe', (subscriptions, client) => {
        if (subscriptions.some((s) => s.topic === OTA_DOWNLINK_TOPIC && (s.qos as number) !== REFUSED)) attachIfKnown(client);
      });
      broker.on('clientReady', (client) => {
        if (subscriptionsOf(client)[OTA_DOWNLINK_TOPIC]) attachIfKnown(client);
      });
      broker.on('unsubscribe', (topics, client) => {
        if (topics.includes(OTA_DOWNLINK_TOPIC)) detach(client);
      });
      broker.on('clientDisconnect', detach);
    },
  };
}

// aedes keeps a client's granted subscriptions on the client without typing them.
function subscriptionsOf(client: Client): Record<string, { qos: number } | undefined> {
  return (client as unknown as { subscriptions: Record<string, { qos: number } | undefined> }).subscriptions;
}
