import { once } from 'node:events';
import net from 'node:net';
import { limitMqttPackets } from './mqtt-frames';

/** A connected TCP pair on loopback: `server` is the side the intake wraps. */
async function socketPair() {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const [server] = (await once(listener, 'connection')) as [net.Socket];
  listener.close();
  return { server, client };
}

describe('limitMqttPackets', () => {
  it('passes bytes through both ways, and a corked packet leaves in one system call', async () => {
    const { server, client } = await socketPair();
    const writev = jest.spyOn(server as unknown as { _writev: () => void }, '_writev');
    const write = jest.spyOn(server as unknown as { _write: () => void }, '_write');
    const conn = limitMqttPackets(server, 1_024, () => undefined);

    const fromDevice: Buffer[] = [];
    conn.on('data', (chunk: Buffer) => fromDevice.push(chunk));
    client.write(Buffer.from([0x30, 0x03, 0x00, 0x01, 0x61])); // PUBLISH, topic "a", no payload
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(fromDevice)).toEqual(Buffer.from([0x30, 0x03, 0x00, 0x01, 0x61]));

    // As mqtt-packet writes a PUBACK: corked, in three pieces.
    const toDevice: Buffer[] = [];
    client.on('data', (chunk: Buffer) => toDevice.push(chunk));
    conn.cork();
    for (const piece of [[0x40], [0x02], [0x00, 0x07]]) conn.write(Buffer.from(piece));
    process.nextTick(() => conn.uncork());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(toDevice)).toEqual(Buffer.from([0x40, 0x02, 0x00, 0x07]));
    expect(writev).toHaveBeenCalledTimes(1);
    expect(write).not.toHaveBeenCalled();

    client.destroy();
    await once(conn, 'close');
    server.destroy();
  });

  it('closes the connection on a packet above the limit, before buffering it', async () => {
    const { server, client } = await socketPair();
    const sizes: number[] = [];
    const conn = limitMqttPackets(server, 500, (size) => sizes.push(size));
    conn.resume();
    client.write(Buffer.from([0x30, 0xe8, 0x07])); // PUBLISH of 1,000 bytes: only its header is sent
    await once(conn, 'close');
    expect(sizes).toEqual([1_000]);
    expect(server.destroyed).toBe(true);
    client.destroy();
  });
});
