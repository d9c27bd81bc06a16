// The ports: everything the portable core needs from the outside world.
// Moddable adapters (firmware/moddable) and Node adapters (host-sim) implement them;
// the core itself imports nothing from either platform (DESIGN §1).

/**
 * One AES-128 block encryption: 16-byte key, 16-byte block in, 16-byte block out. The
 * output is a new array and the input is not kept: CCM rewrites one scratch block per step.
 */
export type AesEncryptBlock = (key: Uint8Array, block: Uint8Array) => Uint8Array;

/** Platform crypto primitives. Everything else (CCM, ...) is portable code over these. */
export interface Crypto {
  aesEncryptBlock: AesEncryptBlock;
}

/**
 * Public-key crypto for Mi authentication (register, login; core/miauth). The core has a
 * portable version of each (crypto/p256.ts, crypto/sha256.ts: PORTABLE_AUTH_CRYPTO); a
 * platform with native ones hands them in (Node: node:crypto).
 */
export interface AuthCrypto {
  /** P-256: the raw X‖Y public key (64 bytes) of a 32-byte private scalar. */
  p256PublicKey(privateKey: Uint8Array): Uint8Array;
  /** P-256 ECDH: the shared X coordinate (32 bytes); throws for a point not on the curve. */
  p256SharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
}

/** A byte stream the core reads (a GPS on a serial port; a file or pipe in host-sim). */
export interface ByteSource {
  /** Bytes as they come, in any chunking; `onEnd` when the stream ends (with the error when it failed). */
  start(onBytes: (bytes: Uint8Array) => void, onEnd?: (error?: Error) => void): void;
  stop(): void;
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

// --- HomeKit crypto -----------------------------------------------------------------

/**
 * The primitives HAP pairing and sessions need (SRP-6a over the 3072-bit group, X25519,
 * Ed25519, HKDF-SHA-512, ChaCha20-Poly1305). Node: node:crypto; the device: native crypto
 * where Moddable has the primitive, else a maintained pure-JS library (measured in xsnap).
 * Keys are raw bytes: X25519/Ed25519 private keys are the 32-byte seeds.
 */
export interface HapCrypto {
  sha512(data: Uint8Array): Uint8Array;
  hkdfSha512(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  chacha20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** The plaintext, or undefined when the tag does not verify. */
  chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | undefined;
  x25519KeyPair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  ed25519KeyPair(): { publicKey: Uint8Array; privateKey: Uint8Array };
  ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** base^exponent mod modulus (SRP: 3072-bit modulus). */
  modPow(base: bigint, exponent: bigint, modulus: bigint): bigint;
}

// --- TCP server (the HTTP page, HomeKit) -----------------------------------------------

/** One accepted connection. `write` after the peer left is ignored. */
export interface TcpConnection {
  write(bytes: Uint8Array): void;
  /** Ends the connection after what was written; `onClose` of its events follows. */
  close(): void;
  /** The peer, "address:port", for logs and per-client limits. */
  readonly remote: string;
}

/** What the server does with an accepted connection's bytes. `onClose` fires once, at the end. */
export interface TcpConnectionEvents {
  onData(bytes: Uint8Array): void;
  onClose(error?: Error): void;
}

export interface TcpListener {
  /** Stops accepting; open connections stay until they end. */
  close(): void;
}

export interface TcpListenOptions {
  /** Default: every interface ("0.0.0.0"); host-sim binds 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0: any free port (`ready` says which). */
  port: number;
}

/** The platform's TCP server (Node `net`, Moddable `socket` Listener). */
export interface TcpServerPort {
  /**
   * Listen; `accept` gets each new connection and returns what to do with its bytes.
   * `ready` once: with the bound port, or with the error (port in use, no permission).
   */
  listen(options: TcpListenOptions, accept: (connection: TcpConnection) => TcpConnectionEvents, ready: (error: Error | undefined, port: number) => void): TcpListener;
}

// --- HTTP client (batch upload) ----------------------------------------------------

/** One HTTP request; the core builds it from a URL it checked (upload/url.ts). */
export interface HttpClientRequest {
  method: 'POST' | 'GET';
  host: string;
  port: number;
  /** Path and query, starting with "/". */
  path: string;
  /** Present: HTTPS, verified as TlsOptions says. Absent: plain HTTP. */
  tls?: TlsOptions;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** The whole exchange; past it the request fails with a timeout error. */
  timeoutMs: number;
}

export interface HttpClientResponse {
  status: number;
  /** The start of the response body (adapters keep at most a few KB), for error messages. */
  body: string;
}

/**
 * An HTTP(S) client: Node's https in host-sim, Moddable's `http` Request on the device.
 * `done` is called exactly once, never from inside `request`: with an error when no
 * response came (refused, TLS, timeout), else with the response, whatever its status.
 */
export interface HttpClient {
  request(request: HttpClientRequest, done: (error: Error | undefined, response?: HttpClientResponse) => void): void;
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

// --- GATT (the active client) ------------------------------------------------------

/**
 * A GATT error from the platform: `code` is one of the strings below when the platform can
 * tell, `reason` the stack's own number (NimBLE / HCI reason) when it has one.
 */
export interface GattFailure {
  code: 'not-connected' | 'refused' | 'not-found' | 'not-permitted' | 'failed';
  message: string;
  reason?: number;
}

/** GATT characteristic properties, the Bluetooth Core bit values (Moddable uses the same). */
export const GATT_PROPERTY = {
  read: 0x02,
  writeWithoutResponse: 0x04,
  write: 0x08,
  notify: 0x10,
  indicate: 0x20,
} as const;

/** A primary service; `uuid` is the canonical lower-case 128-bit form (core/gatt/uuid.ts). */
export interface GattService {
  uuid: string;
  start: number;
  end: number;
}

export interface GattCharacteristic {
  uuid: string;
  /** Value handle: reads, writes and notifications name it. */
  handle: number;
  /** GATT_PROPERTY bits. */
  properties: number;
}

/** One open connection. Every request completes its callback exactly once, unless the
 *  link drops first (then `onDisconnect` fires and pending callbacks are never called). */
export interface GattConnection {
  discoverServices(done: (error: GattFailure | undefined, services: GattService[]) => void): void;
  discoverCharacteristics(service: GattService, done: (error: GattFailure | undefined, characteristics: GattCharacteristic[]) => void): void;
  read(characteristic: GattCharacteristic, done: (error: GattFailure | undefined, value?: Uint8Array) => void): void;
  write(characteristic: GattCharacteristic, value: Uint8Array, withResponse: boolean, done: (error: GattFailure | undefined) => void): void;
  /** Writes the CCCD: notify when the characteristic has it, else indicate. */
  subscribe(characteristic: GattCharacteristic, done: (error: GattFailure | undefined) => void): void;
  unsubscribe(characteristic: GattCharacteristic, done: (error: GattFailure | undefined) => void): void;
  /** Ends the connection; `onDisconnect` follows. */
  disconnect(): void;
}

export interface GattConnectionEvents {
  onConnect(connection: GattConnection): void;
  /** The connection could not be made (no `onDisconnect` follows). */
  onConnectFailed(error: GattFailure): void;
  /** The link ended, by us or by the peer; `reason` is the stack's reason code when known. */
  onDisconnect(reason: number): void;
  onNotification(handle: number, value: Uint8Array): void;
}

/** Who to connect to, and how. */
export interface GattPeer {
  /** 12 hex digits, display order. */
  mac: string;
  /** 0 public, 1 random (2, 3: identity addresses). */
  addrType: number;
  /**
   * Pair with bonding (Just Works) when there is no bond yet, or encrypt with the stored
   * bond, before `onConnect`: onConnect then means the link is encrypted. A peer that
   * refuses pairing gives onConnectFailed ('not-permitted'). The bond is kept by the
   * platform (NimBLE's store on the device) until `forgetBond`.
   */
  bond?: boolean;
}

/** The radio as a GATT client (central): one connection at a time is all the core asks for. */
export interface GattLink {
  connect(peer: GattPeer, events: GattConnectionEvents): void;
  /** Delete the stored bond (keys) for a peer; absent: the platform cannot bond. */
  forgetBond?(peer: { mac: string; addrType: number }): void;
  /** True when scanning must stop while a connection is made or open (the ESP32's single radio/NimBLE host). */
  readonly pausesScan: boolean;
}

// --- user scripts -------------------------------------------------------------------

/** Where and why a script failed: its name, the line when the engine tells it, and what happened. */
export interface ScriptError {
  message: string;
  line?: number;
  /** It ran past the host's time budget (a loop); the runtime stops such a script. */
  timedOut?: boolean;
  /** The host cannot run it any more (out of memory, its sandbox died); the runtime stops it. */
  fatal?: boolean;
}

export type ScriptOutcome<T> = { ok: true; value: T } | { ok: false; error: ScriptError };

/** A loaded script: call its functions (callbacks it registered) under the host's guard. */
export interface LoadedScript {
  call(fn: (...args: never[]) => unknown, args: unknown[]): ScriptOutcome<unknown>;
  /** Release the script's sandbox (its worker, its compartment): nothing of it runs afterwards. */
  dispose?(): void;
  /**
   * Hosts that run the top level later (the device's Worker sandbox): `callback` once it has
   * run, with the error when it threw or was stopped. Absent: load() already ran it.
   */
  whenLoaded?(callback: (error?: ScriptError) => void): void;
}

/** What a host tells the runtime outside of a call: the script died (out of memory, a crash). */
export interface ScriptEvents {
  fatal(error: ScriptError): void;
  /**
   * A callback threw, reported after call() returned (the device's worker host runs calls
   * asynchronously): `fn` is the callback as the runtime holds it. The script goes on.
   */
  error?(error: ScriptError, fn?: unknown): void;
}

/**
 * Evaluates user scripts in isolation: the script sees `globals` and the language's own
 * built-ins, nothing of the firmware (Node: a locked-down worker with a time and memory
 * budget; Moddable: a hardened Compartment). Never throws: failures come back as outcomes.
 * A host never calls a method, getter, `then` or `toString` of an object the script made
 * outside the script's own budget.
 */
export interface ScriptHost {
  load(name: string, source: string, globals: Record<string, unknown>, events?: ScriptEvents): ScriptOutcome<LoadedScript>;
  /**
   * The script line where a callback the script handed in was made, when the host knows it
   * (the Node worker host reads it in the sandbox; the runtime otherwise reads its own stack).
   */
  callbackLine?(fn: unknown): number | undefined;
}
