// The "parcel" framing on the Mi service's 0x0019 characteristic (reference §2): a
// control packet announces a parcel of a type in N frames, the receiver says ready,
// the frames follow (2-byte LE index from 1, ≤ 18 bytes each), the receiver says OK.
// Both ends use these helpers: the gateway (flow.ts) and the simulated devices.

/** Parcel types. */
export const PARCEL = {
  deviceInfo: 0x00,
  publicKey: 0x03,
  appLoginInfo: 0x0a,
  appRandom: 0x0b,
  deviceLoginInfo: 0x0c,
  deviceRandom: 0x0d,
} as const;

export const RCV_RDY = Uint8Array.of(0, 0, 1, 1);
export const RCV_OK = Uint8Array.of(0, 0, 1, 0);
export const RCV_TIMEOUT = Uint8Array.of(0, 0, 1, 5, 1, 0);
export const RCV_ERROR = Uint8Array.of(0, 0, 1, 5, 3, 0);
/** Acknowledges a one-packet ("short form") parcel. */
export const SHORT_ACK = Uint8Array.of(0, 0, 3, 0);

/** Payload bytes per data frame (20-byte ATT payload at the default MTU, less the index). */
export const FRAME_PAYLOAD = 18;
/** No Mi-auth parcel is longer than 64 bytes; a larger announce is refused, not buffered. */
export const MAX_PARCEL_FRAMES = 8;

export function announce(type: number, frames: number): Uint8Array {
  return Uint8Array.of(0, 0, 0, type, frames & 0xff, frames >> 8);
}

export function dataFrames(payload: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let at = 0, index = 1; at < payload.length; at += FRAME_PAYLOAD, index++) {
    const chunk = payload.subarray(at, at + FRAME_PAYLOAD);
    const frame = new Uint8Array(2 + chunk.length);
    frame[0] = index & 0xff;
    frame[1] = index >> 8;
    frame.set(chunk, 2);
    frames.push(frame);
  }
  return frames;
}

export function isControl(packet: Uint8Array): boolean {
  return packet.length >= 4 && packet[0] === 0 && packet[1] === 0;
}

export function sameControl(packet: Uint8Array, control: Uint8Array): boolean {
  if (packet.length !== control.length) return false;
  for (let i = 0; i < control.length; i++) if (packet[i] !== control[i]) return false;
  return true;
}

/** What a control packet says: an announce (type, frames), a one-packet parcel, the official app's greeting, or a receiver status. */
export type Control =
  | { kind: 'announce'; type: number; frames: number }
  | { kind: 'short'; type: number; payload: Uint8Array }
  | { kind: 'greeting' }
  | { kind: 'status'; bytes: Uint8Array }
  | { kind: 'unknown' };

export function readControl(packet: Uint8Array): Control {
  if (!isControl(packet)) return { kind: 'unknown' };
  switch (packet[2]) {
    case 0: return packet.length >= 6 ? { kind: 'announce', type: packet[3]!, frames: packet[4]! | (packet[5]! << 8) } : { kind: 'unknown' };
    case 1: return { kind: 'status', bytes: packet };
    case 2: return { kind: 'short', type: packet[3]!, payload: packet.slice(4) };
    case 4: return { kind: 'greeting' };
    default: return { kind: 'unknown' };
  }
}

/** Reassembles the data frames of one announced parcel; frames out of order or too many are an error. */
export class ParcelAssembler {
  private readonly parts: Uint8Array[] = [];
  constructor(readonly type: number, readonly frames: number) {}

  /** Adds a frame: 'more', 'done' (payload() is ready) or an error text. */
  add(frame: Uint8Array): 'more' | 'done' | string {
    if (frame.length < 3) return `parcel frame of ${frame.length} bytes`;
    const index = frame[0]! | (frame[1]! << 8);
    if (index !== this.parts.length + 1) return `parcel frame ${index} where ${this.parts.length + 1} was due`;
    if (frame.length > 2 + FRAME_PAYLOAD) return `parcel frame of ${frame.length} bytes (at most ${2 + FRAME_PAYLOAD})`;
    this.parts.push(frame.slice(2));
    return this.parts.length === this.frames ? 'done' : 'more';
  }

  payload(): Uint8Array {
    let length = 0;
    for (const p of this.parts) length += p.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
