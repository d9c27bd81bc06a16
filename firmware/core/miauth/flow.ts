// Register and login, the app's side, over a MiTransport (writes to and notifications
// from the Mi service's 0x0010 "upnp" and 0x0019 "avdtp" characteristics). Written as
// straight-line async steps; every wait has a timeout, and anything unexpected from the
// device ends the flow with a MiAuthError that says which step failed.

import type { AesEncryptBlock, AuthCrypto } from '../host.js';
import { DID_BYTES, encryptDid, inventDid, loginKeys, registrationKeys, sameBytes, type MiSession } from './keys.js';
import { announce, dataFrames, MAX_PARCEL_FRAMES, PARCEL, ParcelAssembler, RCV_OK, RCV_RDY, readControl, sameControl, SHORT_ACK } from './parcel.js';

export type MiChannel = 'upnp' | 'avdtp';

export interface MiTransport {
  write(channel: MiChannel, bytes: Uint8Array): Promise<void>;
  /** The next notification on the channel (buffered since the link opened); rejects with a MiAuthError on timeout or link loss. */
  next(channel: MiChannel, timeoutMs: number): Promise<Uint8Array>;
}

/** Why a flow stopped; `code` is for replies and tests, `message` for people. */
export type MiAuthCode = 'timeout' | 'link' | 'protocol' | 'refused' | 'wrong-token' | 'needs-button' | 'already-registered' | 'not-registered';

export class MiAuthError extends Error {
  override name = 'MiAuthError';
  constructor(readonly code: MiAuthCode, message: string) {
    super(message);
  }
}

/** Commands written to 0x0010. */
const CMD = {
  getInfo: Uint8Array.of(0xa2, 0, 0, 0),
  setKey: Uint8Array.of(0x15, 0, 0, 0),
  auth: Uint8Array.of(0x13, 0, 0, 0),
  login: Uint8Array.of(0x24, 0, 0, 0),
};

/** Results notified on 0x0010 (first byte; the other three are zero). */
const RESULT: Readonly<Record<number, { ok: boolean; code?: MiAuthCode; text: string }>> = {
  0x11: { ok: true, text: 'registered' },
  0x12: { ok: false, code: 'refused', text: 'registration refused' },
  0x21: { ok: true, text: 'logged in' },
  0x22: { ok: false, code: 'wrong-token', text: 'login refused: invalid token (LTMK)' },
  0x23: { ok: false, code: 'wrong-token', text: 'login refused' },
  0xe0: { ok: false, code: 'not-registered', text: 'the device is not registered' },
  0xe1: { ok: false, code: 'already-registered', text: 'the device is already registered' },
  0xe2: { ok: true, text: 'already logged in' },
  0xe3: { ok: false, code: 'refused', text: 'invalid OOB' },
};

export interface MiAuthTimeouts {
  /** Each packet the device owes us during the handshake (reference: 2–3 s). */
  step: number;
  /** The device's public key after ours: a scooter that wants its power button stays silent here (macbury: 2 s, miauth: 2–3 s). */
  confirm: number;
}

export const DEFAULT_MI_AUTH_TIMEOUTS: MiAuthTimeouts = { step: 3000, confirm: 3000 };

export interface FlowContext {
  transport: MiTransport;
  crypto: AuthCrypto;
  aes: AesEncryptBlock;
  random(count: number): Uint8Array;
  timeouts?: Partial<MiAuthTimeouts>;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The next control/data packet on 0x0019, answering the official app's greeting on the way. */
async function nextParcelPacket(ctx: FlowContext, timeoutMs: number): Promise<Uint8Array> {
  for (;;) {
    const packet = await ctx.transport.next('avdtp', timeoutMs);
    const control = readControl(packet);
    if (control.kind !== 'greeting') return packet;
    const echo = packet.slice();
    echo[2] = 5;
    await ctx.transport.write('avdtp', echo);
  }
}

async function expectControl(ctx: FlowContext, wanted: Uint8Array, what: string, timeoutMs: number): Promise<void> {
  const packet = await nextParcelPacket(ctx, timeoutMs);
  if (!sameControl(packet, wanted)) throw new MiAuthError('protocol', `${what}: unexpected packet ${toHexShort(packet)}`);
}

/** Send a parcel: announce, wait ready, frames, wait OK. */
async function sendParcel(ctx: FlowContext, type: number, payload: Uint8Array, what: string, readyTimeout = step(ctx)): Promise<void> {
  const frames = dataFrames(payload);
  await ctx.transport.write('avdtp', announce(type, frames.length));
  await expectControl(ctx, RCV_RDY, `${what}: waiting for the device to be ready`, readyTimeout);
  for (const frame of frames) await ctx.transport.write('avdtp', frame);
  await expectControl(ctx, RCV_OK, `${what}: waiting for the device to confirm`, step(ctx));
}

/** Receive a parcel of `type` (announced, or in one packet). */
async function receiveParcel(ctx: FlowContext, type: number, what: string, timeoutMs = step(ctx)): Promise<Uint8Array> {
  const first = await nextParcelPacket(ctx, timeoutMs);
  const control = readControl(first);
  if (control.kind === 'short' && control.type === type) {
    await ctx.transport.write('avdtp', SHORT_ACK);
    return control.payload;
  }
  if (control.kind !== 'announce' || control.type !== type) throw new MiAuthError('protocol', `${what}: expected parcel type ${hex2(type)}, got ${toHexShort(first)}`);
  if (control.frames < 1 || control.frames > MAX_PARCEL_FRAMES) throw new MiAuthError('protocol', `${what}: parcel of ${control.frames} frames refused`);
  const parcel = new ParcelAssembler(type, control.frames);
  await ctx.transport.write('avdtp', RCV_RDY);
  for (;;) {
    const state = parcel.add(await ctx.transport.next('avdtp', step(ctx)));
    if (state === 'done') break;
    if (state !== 'more') throw new MiAuthError('protocol', `${what}: ${state}`);
  }
  await ctx.transport.write('avdtp', RCV_OK);
  return parcel.payload();
}

async function expectResult(ctx: FlowContext, what: string): Promise<string> {
  const packet = await ctx.transport.next('upnp', step(ctx));
  const result = packet.length === 4 ? RESULT[packet[0]!] : undefined;
  if (!result) throw new MiAuthError('protocol', `${what}: unexpected result ${toHexShort(packet)}`);
  if (!result.ok) throw new MiAuthError(result.code!, `${what}: ${result.text}`);
  return result.text;
}

function step(ctx: FlowContext): number {
  return ctx.timeouts?.step ?? DEFAULT_MI_AUTH_TIMEOUTS.step;
}

function toHexShort(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < Math.min(bytes.length, 24); i++) out += hex2(bytes[i]!);
  return bytes.length > 24 ? `${out}…` : out;
}

/** A fresh P-256 key pair from the Random port (retrying the rare scalar ≥ n). */
function keyPair(ctx: FlowContext): { privateKey: Uint8Array; publicKey: Uint8Array } {
  for (let tries = 0; tries < 8; tries++) {
    const privateKey = ctx.random(32);
    try {
      return { privateKey, publicKey: ctx.crypto.p256PublicKey(privateKey) };
    } catch {
      // out of range: draw again
    }
  }
  throw new MiAuthError('protocol', 'could not make a P-256 key pair (the random source looks broken)');
}

export interface RegisterOutcome {
  token: Uint8Array;
  bindKey: Uint8Array;
  /** The DID sent back: the device's own, or one invented for a device that had none. */
  did: Uint8Array;
  /** The device had no DID (a sensor never bound in Mi Home). */
  inventedDid: boolean;
}

/**
 * Register (reference §3): our ephemeral P-256 key against the device's, the token and
 * bind key from the shared secret, the DID sent back encrypted. A scooter waits for its
 * power button after our key: the `confirm` timeout covers that, then 'needs-button'.
 */
export async function register(ctx: FlowContext): Promise<RegisterOutcome> {
  const mine = keyPair(ctx);
  await ctx.transport.write('upnp', CMD.getInfo);
  const info = await receiveParcel(ctx, PARCEL.deviceInfo, 'device info');
  // 4 header bytes, then the 20-byte DID when the device has one.
  const inventedDid = info.length < 4 + DID_BYTES;
  const did = inventedDid ? inventDid(ctx.random(6)) : info.slice(4, 4 + DID_BYTES);
  await ctx.transport.write('upnp', CMD.setKey);
  await sendParcel(ctx, PARCEL.publicKey, mine.publicKey, 'our public key');
  let devicePublic: Uint8Array;
  try {
    devicePublic = await receiveParcel(ctx, PARCEL.publicKey, 'device public key', ctx.timeouts?.confirm ?? DEFAULT_MI_AUTH_TIMEOUTS.confirm);
  } catch (e) {
    if (e instanceof MiAuthError && e.code === 'timeout') throw new MiAuthError('needs-button', 'the device did not answer with its key: press the power button once when it beeps, then register again');
    throw e;
  }
  if (devicePublic.length !== 64) throw new MiAuthError('protocol', `device public key of ${devicePublic.length} bytes`);
  let secret: Uint8Array;
  try {
    secret = ctx.crypto.p256SharedSecret(mine.privateKey, devicePublic);
  } catch (e) {
    throw new MiAuthError('protocol', `device public key refused: ${(e as Error).message}`);
  }
  const keys = registrationKeys(secret, ctx.crypto);
  await sendParcel(ctx, PARCEL.deviceInfo, encryptDid(ctx.aes, keys.didKey, did), 'encrypted DID');
  await ctx.transport.write('upnp', CMD.auth);
  await expectResult(ctx, 'registration');
  return { token: keys.token, bindKey: keys.bindKey, did, inventedDid };
}

/**
 * Login with the stored token (reference §4): random nonces both ways, the device proves
 * it knows the token (its HMAC is checked before we answer), then we prove it.
 */
export async function login(ctx: FlowContext, token: Uint8Array): Promise<MiSession> {
  const appRandom = ctx.random(16);
  await ctx.transport.write('upnp', CMD.login);
  await sendParcel(ctx, PARCEL.appRandom, appRandom, 'our login random');
  const deviceRandom = await receiveParcel(ctx, PARCEL.deviceRandom, 'device login random');
  const deviceInfo = await receiveParcel(ctx, PARCEL.deviceLoginInfo, 'device login proof');
  if (deviceRandom.length !== 16 || deviceInfo.length !== 32) throw new MiAuthError('protocol', `login parcels of ${deviceRandom.length}/${deviceInfo.length} bytes (16/32 expected)`);
  const keys = loginKeys(token, appRandom, deviceRandom, ctx.crypto);
  if (!sameBytes(keys.expectedDeviceInfo, deviceInfo)) throw new MiAuthError('wrong-token', 'the device does not know our token: register again');
  await sendParcel(ctx, PARCEL.appLoginInfo, keys.appInfo, 'our login proof');
  await expectResult(ctx, 'login');
  return { devKey: keys.devKey, appKey: keys.appKey, devIv: keys.devIv, appIv: keys.appIv, counter: 0 };
}
