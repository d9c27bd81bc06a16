// Real MQTT brokers for end-to-end tests: aedes embedded in the test process, and
// mosquitto as a child process when it is installed. Each broker gets a random free port
// and a temp directory; TLS material is generated at test time with the openssl CLI.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import * as tls from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';

export interface Credentials { username: string; password: string }
export interface TlsMaterial {
  dir: string;
  caPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A second CA that did not sign the server certificate. */
  otherCaPem: string;
}

export interface BrokerOptions {
  /** Require these credentials (anonymous clients are refused). */
  credentials?: Credentials;
  /** Also open a TLS listener with this server certificate. */
  tls?: TlsMaterial;
}

export interface TestBroker {
  kind: 'aedes' | 'mosquitto';
  host: string;
  port: number;
  tlsPort?: number;
  url: string;
  /** Stops the broker abruptly (open connections are cut, no goodbye). */
  kill(): Promise<void>;
  /** Starts it again on the same ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A port the OS just handed out and released; good enough for a test listener. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface AedesBroker extends TestBroker {
  kind: 'aedes';
  /** The live aedes instance (replaced by restart()). */
  aedes: Aedes;
  /** Every PUBLISH the broker accepted from a client, across restarts, in arrival order. */
  received: { clientId: string; topic: string; payload: Buffer; qos: number; retain: boolean }[];
}

export async function startAedes(options: BrokerOptions = {}): Promise<AedesBroker> {
  const host = '127.0.0.1';
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  let servers: net.Server[] = [];
  let sockets = new Set<net.Socket>();

  const launch = async () => {
    const aedes = await Aedes.createBroker();
    if (options.credentials) {
      const { username, password } = options.credentials;
      aedes.authenticate = (_client, user, pass, callback) => {
        if (user === username && pass?.toString() === password) return callback(null, true);
        const error = Object.assign(new Error('bad credentials'), { returnCode: 4 as const });
        callback(error, false);
      };
    }
    aedes.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
      if (client) {
        broker.received.push({ clientId: client.id, topic: packet.topic, payload: Buffer.from(packet.payload), qos: packet.qos, retain: packet.retain });
      }
    });
    const track = (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      aedes.handle(socket);
    };
    servers = [net.createServer(track)];
    if (options.tls && tlsPort) {
      const key = readFileSync(options.tls.keyFile);
      const cert = readFileSync(options.tls.certFile);
      servers.push(tls.createServer({ key, cert }, track));
    }
    await Promise.all(servers.map((server, i) => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(i === 0 ? port : tlsPort, host, resolve);
    })));
    broker.aedes = aedes;
  };

  const shutdown = async () => {
    for (const socket of sockets) socket.destroy();
    sockets = new Set();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    servers = [];
    await new Promise<void>((resolve) => broker.aedes.close(() => resolve()));
  };

  const broker: AedesBroker = {
    kind: 'aedes', host, port, tlsPort, url: `mqtt://${host}:${port}`,
    aedes: undefined as unknown as Aedes,
    received: [],
    kill: shutdown,
    restart: launch,
    stop: async () => { if (servers.length) await shutdown(); },
  };
  await launch();
  return broker;
}

/** Where mosquitto is, if installed (it lives in /usr/sbin, often not on a user's PATH). */
export function findMosquitto(): string | undefined {
  return findExecutable('mosquitto');
}

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.filter((dir) => dir.startsWith('/')).map((dir) => join(dir, name)).find((path) => existsSync(path));
}

export interface MosquittoBroker extends TestBroker {
  kind: 'mosquitto';
  /** mosquitto's own log, for failure messages. */
  log(): string;
}

export interface MosquittoOptions extends BrokerOptions {
  /** Keep sessions and queued messages in a file across restarts (saved on SIGTERM). */
  persistence?: boolean;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const binary = findMosquitto();
  if (!binary) throw new Error('mosquitto is not installed');
  const host = '127.0.0.1';
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mi32-mosquitto-'));
  const lines = [
    // Running as root, mosquitto would switch to user "mosquitto", which cannot read our temp files.
    `user ${userInfo().username}`,
    'per_listener_settings false',
    `listener ${port} ${host}`,
    'max_queued_messages 100000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
  ];
  if (tlsPort && options.tls) lines.push(`listener ${tlsPort} ${host}`, `certfile ${options.tls.certFile}`, `keyfile ${options.tls.keyFile}`);
  if (options.credentials) {
    const passwordFile = join(dir, 'passwd');
    const tool = findExecutable('mosquitto_passwd');
    if (!tool) throw new Error('mosquitto_passwd is not installed');
    execFileSync(tool, ['-b', '-c', passwordFile, options.credentials.username, options.credentials.password]);
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  if (options.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'persistence_file mosquitto.db', 'autosave_interval 0');
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, lines.join('\n') + '\n');

  let child: ChildProcess | undefined;
  let log = '';
  const launch = async () => {
    const proc = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`mosquitto exited (${code}):\n${log}`))));
    await Promise.race([waitForPort(host, port), exited]);
    if (tlsPort) await Promise.race([waitForPort(host, tlsPort), exited]);
    exited.catch(() => {});
  };
  const terminate = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise((resolve) => { proc.once('exit', resolve); proc.kill(signal); });
  };

  await launch();
  return {
    kind: 'mosquitto', host, port, tlsPort, url: `mqtt://${host}:${port}`,
    log: () => log,
    // SIGTERM: with persistence on, mosquitto writes its sessions to disk on the way out.
    kill: () => terminate(options.persistence ? 'SIGTERM' : 'SIGKILL'),
    restart: launch,
    stop: async () => {
      await terminate('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port }, () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A CA, a server certificate for localhost/127.0.0.1 signed by it, and an unrelated CA. */
export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'mi32-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mi32 test CA');
  openssl('req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=mi32 unrelated CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    otherCaPem: readFileSync(join(dir, 'other-ca.pem'), 'utf8'),
  };
}

export function removeTlsMaterial(material: TlsMaterial | undefined): void {
  if (material) rmSync(material.dir, { recursive: true, force: true });
}
