// The ports: everything the portable core needs from the outside world.
// Moddable adapters (firmware/moddable) and Node adapters (host-sim) implement them;
// the core itself imports nothing from either platform (DESIGN §1).

/** One AES-128 block encryption: 16-byte key, 16-byte block in, 16-byte block out. */
export type AesEncryptBlock = (key: Uint8Array, block: Uint8Array) => Uint8Array;

/** Platform crypto primitives. Everything else (CCM, ...) is portable code over these. */
export interface Crypto {
  aesEncryptBlock: AesEncryptBlock;
}

/** Leveled log lines; the console transport on the device. */
export interface Log {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Opaque timer handle, whatever the platform returns. */
export type TimerHandle = unknown;

/** Wall clock and timers. `now()` is milliseconds (epoch on a synced device, monotonic otherwise). */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Random bytes, for MQTT client ids, jitter and nonces. */
export interface Random {
  bytes(count: number): Uint8Array;
}

/** TLS options for a TCP client socket. Verification is on unless explicitly turned off. */
export interface TlsOptions {
  /** PEM (string) or DER (bytes) CA certificate(s) to trust instead of the platform store. */
  ca?: string | Uint8Array;
  /** Defaults to true. */
  verify?: boolean;
  /** SNI / name to verify; defaults to the host. */
  serverName?: string;
}

export interface TcpConnectOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
}

/** Callbacks a TCP client socket delivers. Exactly one of onClose fires, once, at the end. */
export interface TcpSocketEvents {
  onConnect(): void;
  onData(bytes: Uint8Array): void;
  /** `error` is set when the socket ended because of a failure (refused, TLS, reset). */
  onClose(error?: Error): void;
}

export interface TcpSocket {
  write(bytes: Uint8Array): void;
  close(): void;
}

export interface Net {
  connectTcp(options: TcpConnectOptions, events: TcpSocketEvents): TcpSocket;
}

/**
 * Small-file storage (the device's flash file system; a folder in host-sim).
 * Synchronous: files are a few KB and both littlefs and Node's fs do this cheaply.
 * `rename` must replace the target atomically (littlefs lfs_rename, POSIX rename):
 * atomic saves are built on it (store/atomic.ts).
 */
export interface Store {
  read(name: string): Uint8Array | undefined;
  write(name: string, data: Uint8Array): void;
  rename(from: string, to: string): void;
  remove(name: string): void;
  exists(name: string): boolean;
}
