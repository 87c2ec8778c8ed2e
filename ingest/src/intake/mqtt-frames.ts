import { Duplex, Transform, pipeline, type TransformCallback } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Wraps a socket so that an MQTT packet whose remaining length exceeds `maxPacketBytes`
 * destroys the connection before it is buffered. aedes (through mqtt-packet) would
 * otherwise buffer packets of up to 256 MiB, before authentication included. Bytes pass
 * through unchanged; only the fixed headers are read. `onTooLarge` is called once.
 */
export function limitMqttPackets(socket: Socket, maxPacketBytes: number, onTooLarge: (size: number) => void): Duplex {
  const limiter = createPacketLimiter(maxPacketBytes, onTooLarge);
  // Errors on either side tear both down; aedes sees the readable side end.
  pipeline(socket, limiter, () => socket.destroy());
  const afterDrain = (written: boolean, callback: () => void) => (written ? callback() : socket.once('drain', () => callback()));
  const conn = new Duplex({
    read() {
      limiter.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      afterDrain(socket.write(chunk), callback);
    },
    // mqtt-packet corks the stream and writes a packet in pieces (a PUBACK is three): they
    // leave as one system call instead of three. At 10,000 PUBACKs a second those writes
    // were a third of the intake's main thread.
    writev(chunks, callback) {
      socket.cork();
      let written = true;
      for (const { chunk } of chunks) written = socket.write(chunk as Buffer);
      socket.uncork();
      afterDrain(written, callback);
    },
    final(callback) {
      socket.end(() => callback());
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  limiter.on('data', (chunk: Buffer) => {
    if (!conn.push(chunk)) limiter.pause();
  });
  limiter.on('end', () => conn.push(null));
  socket.on('close', () => conn.destroy());
  return conn;
}

function createPacketLimiter(maxPacketBytes: number, onTooLarge: (size: number) => void): Transform {
  // Where in the current packet we are: its type byte, its length varint, or its body.
  let phase: 'type' | 'length' | 'body' = 'type';
  let length = 0;
  let multiplier = 1;
  let remaining = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let i = 0;
      while (i < chunk.length) {
        if (phase === 'body') {
          const skip = Math.min(remaining, chunk.length - i);
          remaining -= skip;
          i += skip;
          if (remaining === 0) phase = 'type';
          continue;
        }
        const byte = chunk[i++]!;
        if (phase === 'type') {
          phase = 'length';
          length = 0;
          multiplier = 1;
          continue;
        }
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if (length > maxPacketBytes) {
          onTooLarge(length);
          return callback(new Error(`MQTT packet of ${length} bytes exceeds the limit of ${maxPacketBytes}`));
        }
        if (byte & 0x80) {
          // mqtt-packet rejects a fifth length byte itself; this only has to stop counting.
          if (multiplier > 128 ** 4) return callback(new Error('malformed MQTT remaining length'));
          continue;
        }
        remaining = length;
        phase = remaining === 0 ? 'type' : 'body';
      }
      callback(null, chunk);
    },
  });
}
