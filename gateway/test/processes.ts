import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { eventually } from '@ump/core/src/testing/eventually';

const root = path.resolve(__dirname, '../..');

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

/**
 * Services as their own processes, configured only through their environment, as in
 * docker-compose. Their output is kept for error messages.
 */
export function createProcessGroup() {
  const children: ChildProcess[] = [];
  const output: string[] = [];
  return {
    children,
    start(entry: string, env: Record<string, string>) {
      const child = spawn(process.execPath, ['--import', 'tsx', entry], {
        cwd: root,
        env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d) => output.push(String(d)));
      child.stderr!.on('data', (d) => output.push(String(d)));
      children.push(child);
    },
    /** Waits until every port answers /healthz (60 s each: several processes may compile and start at once), with the services' output on failure. */
    async healthy(ports: number[]) {
      for (const port of ports) {
        const up = async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true;
        await eventually(up, { timeoutMs: 60_000, what: `port ${port} to answer /healthz` }).catch((error: Error) => {
          throw new Error(`${error.message}; service output:\n${output.join('')}`);
        });
      }
    },
    output: () => output.join(''),
    kill() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
