// Build advertisements the way devices do, so tests can encrypt their own frames with
// known keys. Independent of the decoders under test: nonces and layouts are written
// out from the format descriptions (README of each decoder), and node:crypto does the CCM.
import { createCipheriv } from 'node:crypto';
import fs from 'node:fs';

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function bytes(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/[\s:]/g, ''), 'hex'));
}

/** AES-CCM with node:crypto: ciphertext ‖ tag. */
export function nodeCcm(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array, tagLength = 4): Uint8Array {
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: tagLength });
  if (aad) c.setAAD(aad, { plaintextLength: plaintext.length });
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return new Uint8Array(Buffer.concat([ct, c.getAuthTag()]));
}

export type MiObject = [id: number, value: Uint8Array];

export function miObjects(objects: MiObject[]): Uint8Array {
  const parts = objects.map(([id, v]) => Buffer.concat([Buffer.from([id & 0xff, id >> 8, v.length]), Buffer.from(v)]));
  return new Uint8Array(Buffer.concat(parts));
}

export interface MiBeaconSpec {
  pid: number;
  mac: string; // display order, 12 hex
  counter?: number;
  objects: MiObject[];
  key?: Uint8Array; // encrypt (v5) when given
  extCounter?: number;
  includeMac?: boolean;
}

/** A MiBeacon v5 frame (service data of 0xFE95), plain or encrypted. */
export function miBeacon(spec: MiBeaconSpec): Uint8Array {
  const includeMac = spec.includeMac ?? true;
  const encrypted = spec.key !== undefined;
  const fc = 0x5000 | 0x0040 | (includeMac ? 0x0010 : 0) | (encrypted ? 0x0008 : 0) | 0x0800;
  const macRev = Buffer.from(spec.mac, 'hex').reverse();
  const head = Buffer.from([fc & 0xff, fc >> 8, spec.pid & 0xff, spec.pid >> 8, spec.counter ?? 1]);
  const payload = miObjects(spec.objects);
  const parts: Buffer[] = [head];
  if (includeMac) parts.push(macRev);
  if (!encrypted) {
    parts.push(Buffer.from(payload));
    return new Uint8Array(Buffer.concat(parts));
  }
  const ext = spec.extCounter ?? 0;
  const extBytes = Buffer.from([ext & 0xff, (ext >> 8) & 0xff, (ext >> 16) & 0xff]);
  const nonce = Buffer.concat([macRev, head.subarray(2, 5), extBytes]);
  const sealed = nodeCcm(spec.key!, nonce, payload, new Uint8Array([0x11]));
  parts.push(Buffer.from(sealed.subarray(0, payload.length)), extBytes, Buffer.from(sealed.subarray(payload.length)));
  return new Uint8Array(Buffer.concat(parts));
}

/** Encrypted BTHome v2 service data (0xFCD2) from plain object bytes. */
export function bthomeEncrypted(mac: string, key: Uint8Array, objects: Uint8Array, counter: number): Uint8Array {
  const info = 0x41; // v2, encrypted
  const counterBytes = Buffer.alloc(4);
  counterBytes.writeUInt32LE(counter);
  const nonce = Buffer.concat([Buffer.from(mac, 'hex'), Buffer.from([0xd2, 0xfc, info]), counterBytes]);
  const sealed = nodeCcm(key, nonce, objects);
  return new Uint8Array(Buffer.concat([Buffer.from([info]), Buffer.from(sealed.subarray(0, objects.length)), counterBytes, Buffer.from(sealed.subarray(objects.length))]));
}

/** Encrypted pvvx custom service data (0x181A, 11 bytes). */
export function pvvxEncrypted(mac: string, key: Uint8Array, counter: number, tempC100: number, hum100: number, battery: number): Uint8Array {
  const plain = Buffer.alloc(6);
  plain.writeInt16LE(tempC100, 0);
  plain.writeUInt16LE(hum100, 2);
  plain[4] = battery;
  plain[5] = 0;
  const nonce = Buffer.concat([Buffer.from(mac, 'hex').reverse(), Buffer.from([11 + 3, 0x16, 0x1a, 0x18, counter])]);
  const sealed = nodeCcm(key, nonce, plain, new Uint8Array([0x11]));
  return new Uint8Array(Buffer.concat([Buffer.from([counter]), Buffer.from(sealed)]));
}

export interface Fixture {
  id: string;
  mac?: string;
  uuid?: string;
  data?: string;
  ad?: string;
  key?: string;
  expect: { error?: string; model?: string; pid?: string; encrypted?: boolean; values?: Record<string, unknown>; unsupported?: string[] };
  /** What the source's test asserts, in its own field names (test/fixtures/README.md). */
  sourceExpect: Record<string, unknown>;
  /** Our value where a documented convention differs from the translation, and why. */
  override?: { values: Record<string, unknown>; reason: string };
}

export function loadFixtures(): Fixture[] {
  const dir = new URL('../fixtures/', import.meta.url);
  const out: Fixture[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const line of fs.readFileSync(new URL(name, dir), 'utf8').split('\n')) if (line.trim()) out.push(JSON.parse(line));
  }
  return out;
}
