import net, { type AddressInfo } from 'node:net';
import { deviceCredentialRevokedChannel, sha256, type Cache, type Logger, type Unsubscribe } from '@ump/core';
import { Aedes, type AedesOptions, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { DeviceCredential } from './credentials';
import { limitMqttPackets } from './mqtt-frames';
import type { OtaServices } from './ota';
import { createOtaMqttDownlink } from './ota/mqtt';
import type { OverloadGate } from './overload';
import { OTA_STATUS_TOPIC } from './ota/protocol';
import type { Pipeline } from './pipeline';

/** The one topic devices publish telemetry to (ThingsBoard's). */
export const TELEMETRY_TOPIC = 'v1/devices/me/telemetry';
/** What devices may publish to; nobody may subscribe to these. */
const UPLINK_TOPICS = new Set([TELEMETRY_TOPIC, OTA_STATUS_TOPIC]);
// Room for the fixed header, the topic and the packet id beside a maxBodyBytes payload.
const PACKET_OVERHEAD = 64 * 1024;

/** aedes' own flow control, missing from its typings: a paused client reads no further packets. */
type Pausable = Client & { pause(): void; resume(): void };

// MQTT 3.1.1 CONNACK return codes.
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;

/** Options of {@link createIntakeMqtt}. */
export interface IntakeMqttOptions {
  pipeline: Pipeline;
  /** Where revoked tokens are announced (deviceCredentialRevokedChannel): the intake's shared cache. */
  cache: Cache;
  /** How often a live connection re-checks its token (IntakeConfig.credentialRecheckMs). */
  credentialRecheckMs: number;
  logger: Logger;
  maxBodyBytes: number;
  ota: OtaServices;
  /** Admission control: telemetry publishes wait while it is closed. */
  overload: Pick<OverloadGate, 'wait'>;
  /** Counts a publish that had to wait. */
  onHeld: () => void;
}

/**
 * The MQTT side of the intake: an aedes broker on a plain TCP server, MQTT 3.1.1.
 * - CONNECT: the username is the device access token (the password is ignored, as in
 *   ThingsBoard); an unknown token is refused with return code 4 (bad username or
 *   password), a lookup failure with 3 (server unavailable). Client ids are scoped to
 *   the device, so one device can never take over another device's session.
 * - PUBLISH to `v1/devices/me/telemetry`: handled inside aedes' authorizePublish hook,
 *   which runs before aedes writes the PUBACK; so a QoS 1 PUBACK means the bus accepted
 *   the points. A malformed payload is dead-lettered and acknowledged (resending it
 *   cannot help) and the connection stays up.
 * - Anything MQTT 3.1.1 cannot refuse politely closes the connection: a publish to
 *   another topic, a device over its rate limit, a revoked token (closed at once when the
 *   device subgraph announces it, and re-checked through the credential cache every
 *   credentialRecheckMs in case a notice is lost, not per message), a bus failure
 *   (unacknowledged QoS 1 messages are then resent by the client after reconnecting).
 * - Overload (the bus holds too much, see overload.ts): a telemetry publish waits, without
 *   PUBACK, and the connection is not read further until the backlog shrinks; nothing is
 *   refused or dropped, the devices are slowed down through TCP.
 * - OTA: PUBLISH to `v1/devices/me/ota/status` is a status report, handled like telemetry
 *   (PUBACK after the bus accepted it; a malformed one dead-lettered and acknowledged).
 *   SUBSCRIBE to `v1/devices/me/ota` (QoS 0 or 1, 2 is granted as 1) receives the pending
 *   assignment, then every command for the device (see ota/downlink.ts).
 * - SUBSCRIBE to any other topic is refused per topic (SUBACK 0x80).
 */
interface Session {
  token: string;
  tokenHash: string;
  device: DeviceCredential;
  /** When the token was last found valid (epoch ms). */
  checkedAt: number;
}

export function createIntakeMqtt({ pipeline, cache, credentialRecheckMs, logger, maxBodyBytes, ota, overload, onHeld }: IntakeMqttOptions) {
  const sessions = new WeakMap<Client, Session>();
  // The live connections of each token, by its hash: what a revocation notice names.
  const byTokenHash = new Map<string, Set<Client>>();
  let unwatch: Unsubscribe | undefined;
  const otaDownlink = createOtaMqttDownlink({ downlink: ota.downlink, logger });

  const options: AedesOptions = {
    // No $SYS heartbeat: nobody may subscribe, so it would only cost timers.
    heartbeatInterval: 24 * 3600_000,
    authenticate(client, username, _password, done) {
      const refuse = (returnCode: number, message: string) => done(Object.assign(new Error(message), { returnCode }) as AuthenticateError, null);
      if (!username) return refuse(BAD_USERNAME_OR_PASSWORD, 'the username must be the device access token');
      pipeline.authenticate('mqtt', username).then(
        (device) => {
          if (!device) return refuse(BAD_USERNAME_OR_PASSWORD, 'unknown or revoked device access token');
          sessions.set(client, { token: username, tokenHash: sha256(username), device, checkedAt: Date.now() });
          // aedes registers the client under this id right after authenticate.
          (client as { id: string }).id = `${device.deviceId}/${client.id}`;
          done(null, true);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'device authentication failed');
          refuse(SERVER_UNAVAILABLE, 'device authentication is unavailable');
        },
      );
    },
    authorizePublish(client, packet, done) {
      handlePublish(client, packet).then(done, (error: Error) => done(error));
    },
    authorizeSubscribe(client, subscription, done) {
      const session = client && sessions.get(client);
      if (!session || !otaDownlink.allows(subscription.topic)) return done(null, null);
      // Re-checked like every publish, so a revoked token cannot start listening.
      pipeline.authenticate('mqtt', session.token).then(
        (device) => done(null, device ? otaDownlink.grant(subscription) : null),
        (error: unknown) => {
          logger.error({ err: error }, 'device authentication failed');
          done(null, null);
        },
      );
    },
  };

  // Paired with 'clientDisconnect' by aedes, unlike authenticate (a connection may fail in between).
  const remember = (client: Client) => {
    const session = sessions.get(client);
    if (session) byTokenHash.set(session.tokenHash, (byTokenHash.get(session.tokenHash) ?? new Set()).add(client));
  };
  const forget = (client: Client) => {
    const session = sessions.get(client);
    if (!session) return;
    const clients = byTokenHash.get(session.tokenHash);
    clients?.delete(client);
    if (clients?.size === 0) byTokenHash.delete(session.tokenHash);
  };

  /** Closes the live connections of a revoked token at once, without waiting for their re-check. */
  const watchRevocations = () =>
    cache.subscribe(deviceCredentialRevokedChannel, (tokenHash) => {
      const clients = byTokenHash.get(tokenHash);
      if (!clients) return;
      logger.info({ connections: clients.size }, 'closing the MQTT connections of a revoked device token');
      for (const client of clients) client.close();
    });

  /** The session's device, looked up again once its last check is credentialRecheckMs old. */
  const currentDevice = async (session: Session): Promise<DeviceCredential | null> => {
    const now = Date.now();
    if (now - session.checkedAt < credentialRecheckMs) return session.device;
    const device = await pipeline.authenticate('mqtt', session.token);
    if (device) Object.assign(session, { device, checkedAt: now });
    return device;
  };

  const handlePublish = async (client: Client | null, packet: PublishPacket): Promise<Error | null> => {
    const startedAt = performance.now();
    const session = client && sessions.get(client);
    if (!session) return new Error('not authenticated');
    if (!UPLINK_TOPICS.has(packet.topic)) {
      pipeline.count('mqtt', 'forbidden_topic');
      return new Error(`publishing to "${packet.topic}" is not allowed; devices publish to ${TELEMETRY_TOPIC} or ${OTA_STATUS_TOPIC}`);
    }
    const held = packet.topic === TELEMETRY_TOPIC ? overload.wait() : undefined;
    if (!held) return acceptPublish(session, packet, startedAt);
    // aedes would go on reading the connection's next packets meanwhile (and hold each in
    // memory): paused, they wait in the socket, and TCP slows the device down. Reading
    // resumes once this one is on the bus, so the device's messages keep their order.
    onHeld();
    const paused = client as Pausable;
    paused.pause();
    try {
      await held;
      return await acceptPublish(session, packet, startedAt);
    } finally {
      paused.resume();
    }
  };

  /** Checks the device and its rate, then publishes the payload; the Error refuses the PUBACK. */
  const acceptPublish = async (session: Session, packet: PublishPacket, startedAt: number): Promise<Error | null> => {
    const device = await currentDevice(session);
    if (!device) return new Error('the device access token was revoked');
    const admission = await pipeline.admit('mqtt', device);
    if (!admission.ok) return new Error(`rate limit of the ${admission.scope} exceeded`);
    // Retained copies would only pile up in the broker's memory: nobody may subscribe to uplink topics.
    packet.retain = false;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (packet.topic === OTA_STATUS_TOPIC) {
      const reported = await ota.status.accept('mqtt', device, payload);
      return reported.kind === 'unavailable' ? new Error('the OTA status could not be stored; resend later') : null;
    }
    const outcome =
      payload.length > maxBodyBytes
        ? await pipeline.refuseTooLarge('mqtt', device, payload)
        : await pipeline.accept('mqtt', device, payload, startedAt);
    return outcome.kind === 'unavailable' ? new Error('telemetry could not be stored; resend later') : null;
  };

  let broker: Aedes | undefined;
  const server = net.createServer((socket) => {
    const stream = limitMqttPackets(socket, maxBodyBytes + PACKET_OVERHEAD, (size) => {
      pipeline.count('mqtt', 'too_large');
      logger.warn({ size, remote: socket.remoteAddress }, 'closed an MQTT connection sending an oversized packet');
    });
    // The server only listens once the broker exists.
    broker!.handle(stream);
  });

  return {
    /** Starts the broker, binds the port (0 picks a free one) and resolves with it; rejects with the listen error. */
    async listen(port: number, host: string): Promise<number> {
      broker = await Aedes.createBroker(options);
      skipRoutingOfUplinks(broker);
      broker.on('clientError', (client, error) => logger.debug({ clientId: client.id, err: error }, 'mqtt client error'));
      broker.on('connectionError', (_client, error) => logger.debug({ err: error }, 'mqtt connection error'));
      broker.on('client', remember);
      broker.on('clientDisconnect', forget);
      unwatch = await watchRevocations();
      otaDownlink.bind(broker, (client) => sessions.get(client)?.device);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return (server.address() as AddressInfo).port;
    },
    /** Stops accepting, disconnects every client and closes the broker. */
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
      const running = broker;
      if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
      await closed;
      await unwatch?.();
      unwatch = undefined;
    },
  };
}

/**
 * Devices' publishes to the uplink topics are handled (and acknowledged) in authorizePublish;
 * nobody may subscribe to those topics, so aedes routing them on — subscription matching,
 * the retained store, offline queues — does nothing but cost: about a tenth of the intake's
 * thread at 10,000 devices (measured). Everything else (OTA downlink, $SYS) is routed as before.
 */
function skipRoutingOfUplinks(broker: Aedes): void {
  // aedes calls publish(packet, client, done) for clients' packets; its typings only show
  // the public publish(packet, done).
  type Publish = (packet: PublishPacket, client: Client | null | Done, done?: Done) => void;
  type Done = (error?: Error) => void;
  const target = broker as unknown as { publish: Publish };
  const route = target.publish.bind(broker);
  target.publish = (packet, client, done) => {
    if (client && typeof client === 'object' && UPLINK_TOPICS.has(packet.topic)) return void process.nextTick(() => done?.());
    route(packet, client, done);
  };
}
