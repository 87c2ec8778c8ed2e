import type { DeviceFirmware } from './ota/firmware';
import type { SimDevice } from './provision';
import type { RunCounters } from './stats';
import { nextMessage, type DeviceSignal, type OutgoingMessage } from './telemetry';
import { reasonOf, SendError, type DeviceLink } from './transports/transport';

/** One accepted message, as `onAccepted` sees it. */
export interface AcceptedEvent {
  device: SimDevice;
  message: OutgoingMessage;
  /** Wall-clock time the message left, epoch ms. */
  sentAt: number;
  latencyMs: number;
}

/** A device during a run: its link (none if it never connected), its sensor, its firmware, its backlog. */
export interface DeviceState {
  device: SimDevice;
  link: DeviceLink | undefined;
  signal: DeviceSignal;
  /** What it runs now; its sensor reads the version at every point. */
  firmware: DeviceFirmware;
  inFlight: number;
}

/** Options of `createSender`. */
export interface SenderOptions {
  counters: RunCounters;
  /** A message not accepted within this time fails as `timeout`. */
  ackTimeoutMs: number;
  /** Unacknowledged messages a device may have before it drops new ones as `backpressure`. */
  maxInFlight: number;
  /** The device's sending interval, over which a batch's points are spread. */
  intervalMs: number;
  batch: number;
  onAccepted?: (event: AcceptedEvent) => void;
}

/**
 * Sends messages for devices and accounts for each exactly once: accepted (with its latency),
 * or failed under one reason (`not-connected`, `backpressure`, `timeout`, or the transport's).
 * An answer arriving after the timeout is ignored, since the message was already counted.
 */
export function createSender(opts: SenderOptions) {
  const { counters } = opts;
  let onDrained: (() => void) | undefined;

  return {
    /** Sends the device's next message now. */
    issue(state: DeviceState): void {
      counters.sent += 1;
      const link = state.link;
      if (!link) return counters.fail('not-connected');
      // A device that cannot get rid of its messages drops new ones, as firmware with a small buffer would.
      if (state.inFlight >= opts.maxInFlight) return counters.fail('backpressure');
      const message = nextMessage(state.signal, Date.now(), opts.intervalMs, opts.batch);
      const sentAt = Date.now();
      const started = performance.now();
      state.inFlight += 1;
      counters.inFlight += 1;
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        state.inFlight -= 1;
        counters.inFlight -= 1;
        if (error !== undefined) counters.fail(reasonOf(error));
        else {
          const latencyMs = performance.now() - started;
          counters.accept(latencyMs, message.points, message.dataPoints);
          opts.onAccepted?.({ device: state.device, message, sentAt, latencyMs });
        }
        if (counters.inFlight === 0) onDrained?.();
      };
      const timer = setTimeout(() => settle(new SendError('timeout')), opts.ackTimeoutMs);
      try {
        link.send(message).then(
          () => settle(),
          (error: unknown) => settle(error ?? new SendError('error')),
        );
      } catch (error) {
        settle(error ?? new SendError('error'));
      }
    },
    /** Resolves once no message is in flight (at the latest `ackTimeoutMs` after the last send). */
    drained(): Promise<void> {
      if (counters.inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => (onDrained = resolve));
    },
  };
}
