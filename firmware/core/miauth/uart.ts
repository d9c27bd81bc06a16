// The scooter's serial protocol on the Nordic UART service: plain "55 AA" frames and,
// after a Mi-auth login, "55 AB" frames encrypted with the session (reference §4.1, §5.1).
//   55 AA | L | D T C data… | CK0 CK1           L = len(data) + 2
//   55 AB | L | n0 n1 | AES-CCM(D T C data… ‖ 4 extra) ‖ tag(4) | CK0 CK1
// The checksum is ~sum(L … last byte before it) & 0xFFFF, little-endian.

import type { AesEncryptBlock } from '../host.js';
import { ccmDecrypt, ccmEncrypt } from '../crypto/ccm.js';
import type { MiSession } from './keys.js';

/** Device addresses: requests to the ESC / BMS, and the addresses their replies come from. */
export const UART_ADDRESS = { esc: 0x20, bms: 0x22, fromEsc: 0x23, fromBms: 0x25 } as const;
export const UART_READ = 0x01;
export const UART_WRITE = 0x03;
/** Notification payload size at the default MTU: frames are written in pieces this big. */
export const UART_CHUNK = 20;
/** Longest frame accepted (CamiAlfa's library: 0x38 data bytes); longer is garbage, not buffered. */
export const UART_MAX_DATA = 0x40;

export function uartChecksum(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += bytes[i]!;
  return ~sum & 0xffff;
}

/** A 55 AA frame: `command` = D T C data…. */
export function plainFrame(command: Uint8Array): Uint8Array {
  const frame = new Uint8Array(command.length + 5);
  frame[0] = 0x55;
  frame[1] = 0xaa;
  frame[2] = command.length - 1;
  frame.set(command, 3);
  const ck = uartChecksum(frame, 2, frame.length - 2);
  frame[frame.length - 2] = ck & 0xff;
  frame[frame.length - 1] = ck >> 8;
  return frame;
}

/** D T C data for a register read of `count` bytes. */
export function readCommand(address: number, register: number, count: number): Uint8Array {
  return Uint8Array.of(address, UART_READ, register, count);
}

/** D T C data for a register write (little-endian value bytes). */
export function writeCommand(address: number, register: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + value.length);
  out[0] = address;
  out[1] = UART_WRITE;
  out[2] = register;
  out.set(value, 3);
  return out;
}

function nonce(iv: Uint8Array, counter: number): Uint8Array {
  const n = new Uint8Array(12);
  n.set(iv, 0);
  n[8] = counter & 0xff;
  n[9] = (counter >>> 8) & 0xff;
  n[10] = (counter >>> 16) & 0xff;
  n[11] = (counter >>> 24) & 0xff;
  return n;
}

/**
 * `command` (D T C data…) as a 55 AB frame under the session's app key; the session's
 * counter goes up by one. `extra` are the 4 bytes appended before encryption (random in
 * miauth; the scooter ignores them).
 */
export function encryptFrame(aes: AesEncryptBlock, session: MiSession, command: Uint8Array, extra: Uint8Array): Uint8Array {
  const counter = session.counter;
  session.counter = (counter + 1) >>> 0;
  const plaintext = new Uint8Array(command.length + 4);
  plaintext.set(command);
  plaintext.set(extra.subarray(0, 4), command.length);
  const sealed = ccmEncrypt({ aes, key: session.appKey, nonce: nonce(session.appIv, counter), tagLength: 4 }, plaintext);
  const frame = new Uint8Array(5 + sealed.length + 2);
  frame[0] = 0x55;
  frame[1] = 0xab;
  frame[2] = command.length - 1;
  frame[3] = counter & 0xff;
  frame[4] = (counter >>> 8) & 0xff;
  frame.set(sealed, 5);
  const ck = uartChecksum(frame, 2, frame.length - 2);
  frame[frame.length - 2] = ck & 0xff;
  frame[frame.length - 1] = ck >> 8;
  return frame;
}

/**
 * A 55 AB frame from the device, decrypted with its dev key: D T C data… (the 4 trailing
 * bytes dropped), or undefined when the checksum or the tag does not verify.
 */
export function decryptFrame(aes: AesEncryptBlock, session: Pick<MiSession, 'devKey' | 'devIv'>, frame: Uint8Array): Uint8Array | undefined {
  if (frame.length < 16 || frame[0] !== 0x55 || frame[1] !== 0xab || frame.length !== frame[2]! + 16) return undefined;
  const ck = uartChecksum(frame, 2, frame.length - 2);
  if (frame[frame.length - 2] !== (ck & 0xff) || frame[frame.length - 1] !== ck >> 8) return undefined;
  const n = new Uint8Array(12);
  n.set(session.devIv.subarray(0, 4), 0);
  n[8] = frame[3]!;
  n[9] = frame[4]!;
  const body = frame.subarray(5, frame.length - 2);
  const plain = ccmDecrypt({ aes, key: session.devKey, nonce: n, tagLength: 4 }, body.subarray(0, body.length - 4), body.subarray(body.length - 4));
  return plain && plain.slice(0, plain.length - 4);
}

/** Split a frame into the pieces written to the TX characteristic. */
export function chunks(frame: Uint8Array, size = UART_CHUNK): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < frame.length; at += size) out.push(frame.slice(at, at + size));
  return out;
}

/**
 * Rebuilds frames from notifications, which split them anywhere (20-byte pieces at the
 * default MTU, whole frames at a larger one). Bytes before a 55 AA / 55 AB header are
 * skipped; a header announcing more than UART_MAX_DATA is skipped too. Memory is bounded
 * by one frame.
 */
export class UartReassembler {
  private buffer = new Uint8Array(0);
  /** Bytes thrown away while looking for a header (diagnostics). */
  skipped = 0;

  push(piece: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffer.length + piece.length);
    joined.set(this.buffer);
    joined.set(piece, this.buffer.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (joined.length - at >= 3) {
      if (joined[at] !== 0x55 || (joined[at + 1] !== 0xaa && joined[at + 1] !== 0xab) || joined[at + 2]! > UART_MAX_DATA) {
        at++;
        this.skipped++;
        continue;
      }
      const total = joined[at + 2]! + (joined[at + 1] === 0xab ? 16 : 6);
      if (joined.length - at < total) break;
      frames.push(joined.slice(at, at + total));
      at += total;
    }
    this.buffer = joined.slice(at);
    return frames;
  }

  reset(): void {
    this.buffer = new Uint8Array(0);
  }
}
