// The embedded MQTT broker (aedes) that `mi32 run` starts when no --broker is given.
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Listen on `port` (default 1883); if it is taken (a system mosquitto, say), on a free one. */
export async function startEmbeddedBroker(port = 1883): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  let bound: number;
  try {
    bound = await listen(server, port);
  } catch {
    bound = await listen(server, 0);
  }
  return {
    url: `mqtt://127.0.0.1:${bound}`,
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.close(() => aedes.close(() => resolve()));
    }),
  };
}
