// A simulated ESP32 / ESP32-C3 / ESP32-S3 serial bootloader, enough of it for esptool-js to
// connect, identify the chip, "upload" its flasher stub, change baud rate, write
// compressed and plain images, and verify them by MD5. Built from the esptool serial
// protocol description (docs/en/advanced-topics/serial-protocol.rst in esptool):
// - SLIP frames (0xC0 ends, 0xDB 0xDC / 0xDB 0xDD escapes) both ways.
// - Request: 0x00, op, u16 size, u32 checksum, data. Response: 0x01, op, u16 size,
//   u32 value, data, then status bytes: 4 from the ROM (status, error, 0, 0), 2 from the
//   stub. The *_DATA checksum is 0xEF XOR every payload byte.
// - ROM SYNC answers 8 times with a non-zero value; the stub answers once with 0.
// - MEM_END with an entry point starts the stub, which sends the unsolicited "OHAI".
// - SPI_FLASH_MD5 answers 32 hex ASCII bytes from the ROM, 16 raw bytes from the stub.
// - Flash is NOR: erase sets 0xFF, program can only clear bits.
// - The auto-reset circuit of dev boards: EN low while RTS && !DTR, IO0 low while
//   DTR && !RTS; leaving reset with IO0 low enters download mode.
// Knobs for tests: flipFlashByteAt (a bad flash cell), failChecksumOfBlock (a block
// corrupted on the wire, once), startInApp.

import { createHash } from 'node:crypto';
import { inflateSync, constants as zlib } from 'node:zlib';

export type SimChip = 'esp32' | 'esp32c3' | 'esp32s3';

const OP = {
  FLASH_BEGIN: 0x02, FLASH_DATA: 0x03, FLASH_END: 0x04, MEM_BEGIN: 0x05, MEM_END: 0x06, MEM_DATA: 0x07,
  SYNC: 0x08, WRITE_REG: 0x09, READ_REG: 0x0a, SPI_SET_PARAMS: 0x0b, SPI_ATTACH: 0x0d, CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10, FLASH_DEFL_DATA: 0x11, FLASH_DEFL_END: 0x12, SPI_FLASH_MD5: 0x13, GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0, ERASE_REGION: 0xd1,
} as const;
export const OP_NAMES: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));

// ROM loader error codes, and the stub's (0xC*, 0xFF).
const ROM_INVALID_MSG = 0x05, ROM_FAILED = 0x06, ROM_BAD_CRC = 0x07, ROM_DEFLATE = 0x0b;
const STUB_BAD_DATA_LEN = 0xc0, STUB_BAD_CHECKSUM = 0xc1, STUB_NOT_IN_FLASH_MODE = 0xc6, STUB_INFLATE = 0xc7, STUB_TOO_MUCH_DATA = 0xc9, STUB_NOT_IMPLEMENTED = 0xff;

interface ChipDef {
  magic: number;
  chipId: number | null; // GET_SECURITY_INFO chip id; null = command unsupported (ESP32)
  spiBase: number;
  usr2: number;
  w0: number;
  regs: Record<number, number>;
}

const CHIPS: Record<SimChip, ChipDef> = {
  esp32: {
    magic: 0x00f01d83, chipId: null, spiBase: 0x3ff42000, usr2: 0x24, w0: 0x80,
    regs: {
      0x3ff5a004: 0xc4123456, // EFUSE word 1: MAC low
      0x3ff5a008: 0x0000240a, // EFUSE word 2: MAC high
      0x3ff40014: 347, // UART_CLKDIV at 115200 baud from a 40 MHz crystal
    },
  },
  esp32c3: { magic: 0x1b31506f, chipId: 5, spiBase: 0x60002000, usr2: 0x20, w0: 0x58, regs: { 0x3ff40014: 347 } },
  esp32s3: { magic: 0x00000009, chipId: 9, spiBase: 0x60002000, usr2: 0x20, w0: 0x58, regs: { 0x60000014: 347 } },
};
const CHIP_DETECT_MAGIC_REG = 0x40001000;
const SPI_CMD_USR = 1 << 18;
const JEDEC_ID_4MB = 0x1640ef; // Winbond, 4 MB (size id 0x16)

type WriteState =
  | { kind: 'raw' | 'defl'; offset: number; size: number; blockSize: number; blocks: number; seq: number; compressed: Buffer[]; written: number }
  | null;

export interface RomSimOptions {
  chip?: SimChip;
  flashSize?: number;
  startInApp?: boolean;
}

export class RomSim {
  readonly chip: SimChip;
  readonly def: ChipDef;
  readonly flash: Uint8Array;
  mode: 'download' | 'app';
  stub = false;
  baud = 115200;
  boots = 0;
  spiFlashSize: number;
  /** every request in order: op name, and failures */
  readonly log: string[] = [];
  /** offsets programmed by FLASH_DATA / FLASH_DEFL_DATA, for assertions */
  readonly md5Requests: Array<{ offset: number; size: number }> = [];

  /** Test knob: a flash cell that reads back with one bit flipped after it is programmed. */
  flipFlashByteAt: number | null = null;
  /** Test knob: the Nth (0-based) *_DATA block of the session arrives corrupted, once. */
  failChecksumOfBlock: number | null = null;

  private regs = new Map<number, number>();
  private write: WriteState = null;
  private mem: { offset: number; size: number; seq: number } | null = null;
  private dataBlocks = 0;
  private rx: number[] = [];
  private inFrame = false;
  private escape = false;
  private signals = { dtr: true, rts: true };
  private out: ((bytes: Uint8Array, baud: number) => void) | null = null;

  constructor({ chip = 'esp32', flashSize = 4 << 20, startInApp = false }: RomSimOptions = {}) {
    this.chip = chip;
    this.def = CHIPS[chip];
    this.flash = new Uint8Array(flashSize).fill(0xff);
    this.spiFlashSize = flashSize;
    this.mode = startInApp ? 'app' : 'download';
    for (const [addr, value] of Object.entries(this.def.regs)) this.regs.set(Number(addr), value);
    this.regs.set(CHIP_DETECT_MAGIC_REG, this.def.magic);
  }

  /** Where the chip's UART output goes; `baud` is the rate it is sent at. */
  connect(out: ((bytes: Uint8Array, baud: number) => void) | null): void {
    this.out = out;
  }

  // ---- the wire -------------------------------------------------------------------

  /** Bytes from the host, sent at `baud`. */
  input(bytes: Uint8Array, baud: number): void {
    if (this.mode !== 'download') return; // the app does not speak the protocol
    if (baud !== this.baud) return; // framing errors: nothing usable arrives
    for (const b of bytes) {
      if (b === 0xc0) {
        if (this.inFrame && this.rx.length > 0) {
          const frame = Uint8Array.from(this.rx);
          this.rx = [];
          this.handle(frame);
        }
        this.inFrame = true;
        this.rx = [];
        this.escape = false;
      } else if (!this.inFrame) {
        // noise between frames
      } else if (this.escape) {
        this.escape = false;
        if (b === 0xdc) this.rx.push(0xc0);
        else if (b === 0xdd) this.rx.push(0xdb);
        else {
          this.log.push('bad SLIP escape');
          this.inFrame = false;
          this.rx = [];
        }
      } else if (b === 0xdb) this.escape = true;
      else this.rx.push(b);
    }
  }

  private send(payload: Uint8Array): void {
    const out: number[] = [0xc0];
    for (const b of payload) {
      if (b === 0xc0) out.push(0xdb, 0xdc);
      else if (b === 0xdb) out.push(0xdb, 0xdd);
      else out.push(b);
    }
    out.push(0xc0);
    this.out?.(Uint8Array.from(out), this.baud);
  }

  private text(s: string): void {
    this.out?.(new TextEncoder().encode(s), 115200);
  }

  /** Modem control lines from the host (DTR/RTS), through the board's auto-reset circuit. */
  setSignals({ dtr, rts }: { dtr: boolean; rts: boolean }): void {
    const enBefore = !(this.signals.rts && !this.signals.dtr);
    this.signals = { dtr, rts };
    const en = !(rts && !dtr);
    const io0 = !(dtr && !rts);
    if (!enBefore && en) this.boot(io0 ? 'app' : 'download');
  }

  private boot(mode: 'download' | 'app'): void {
    this.boots++;
    this.mode = mode;
    this.stub = false;
    this.baud = 115200;
    this.write = null;
    this.mem = null;
    this.rx = [];
    this.inFrame = false;
    this.text(
      mode === 'download'
        ? 'ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n'
        : 'ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n',
    );
  }

  // ---- responses ------------------------------------------------------------------

  private reply(op: number, value = 0, data: Uint8Array = new Uint8Array(0), status = 0, error = 0): void {
    const statusBytes = this.stub ? [status, error] : [status, error, 0, 0];
    const body = new Uint8Array(data.length + statusBytes.length);
    body.set(data);
    body.set(statusBytes, data.length);
    const pkt = new Uint8Array(8 + body.length);
    const view = new DataView(pkt.buffer);
    pkt[0] = 0x01;
    pkt[1] = op;
    view.setUint16(2, body.length, true);
    view.setUint32(4, value >>> 0, true);
    pkt.set(body, 8);
    this.send(pkt);
  }

  private fail(op: number, error: number, why: string): void {
    this.log.push(`${OP_NAMES[op] ?? '0x' + op.toString(16)} failed: ${why}`);
    this.reply(op, 0, new Uint8Array(0), 1, error);
  }

  // ---- commands -------------------------------------------------------------------

  private handle(frame: Uint8Array): void {
    if (frame.length < 8 || frame[0] !== 0x00) {
      this.log.push('malformed request');
      return;
    }
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const op = frame[1];
    const size = view.getUint16(2, true);
    const checksum = view.getUint32(4, true);
    const data = frame.subarray(8);
    this.log.push(OP_NAMES[op] ?? `0x${op.toString(16)}`);
    if (data.length !== size) return this.fail(op, this.stub ? STUB_BAD_DATA_LEN : ROM_INVALID_MSG, `size field ${size}, got ${data.length} bytes`);
    const word = (i: number) => view.getUint32(8 + 4 * i, true);

    switch (op) {
      case OP.SYNC: {
        const ok = size === 36 && data[0] === 0x07 && data[1] === 0x07 && data[2] === 0x12 && data[3] === 0x20 && data.subarray(4).every((b) => b === 0x55);
        if (!ok) return; // not a sync pattern: the ROM stays silent
        const answers = this.stub ? 1 : 8;
        for (let i = 0; i < answers; i++) this.reply(op, this.stub ? 0 : 0x20120707);
        return;
      }
      case OP.READ_REG:
        return this.reply(op, this.regs.get(word(0)) ?? 0);
      case OP.WRITE_REG: {
        for (let at = 0; at + 16 <= size; at += 16) {
          const addr = word(at / 4), value = word(at / 4 + 1), mask = word(at / 4 + 2);
          const old = this.regs.get(addr) ?? 0;
          this.regs.set(addr, ((old & ~mask) | (value & mask)) >>> 0);
          if (addr === this.def.spiBase && value & SPI_CMD_USR) this.spiCommand();
        }
        return this.reply(op);
      }
      case OP.GET_SECURITY_INFO: {
        if (this.def.chipId === null) {
          // The ESP32 ROM does not know this command. esptool-js (like esptool) recognises
          // "unsupported" by an error reply whose command byte differs from the request's;
          // its comment says the ROM repeats it 8 times.
          for (let i = 0; i < 8; i++) {
            const pkt = Uint8Array.from([0x01, 0x00, 0x04, 0x00, 0, 0, 0, 0, 1, ROM_INVALID_MSG, 0, 0]);
            this.send(pkt);
          }
          this.log.push('GET_SECURITY_INFO unsupported');
          return;
        }
        const info = new Uint8Array(20);
        new DataView(info.buffer).setUint32(12, this.def.chipId, true);
        return this.reply(op, 0, info);
      }
      case OP.MEM_BEGIN:
        this.mem = { size: word(0), offset: word(3), seq: 0 };
        return this.reply(op);
      case OP.MEM_DATA: {
        if (!this.mem) return this.fail(op, ROM_FAILED, 'MEM_DATA before MEM_BEGIN');
        const len = word(0), seq = word(1), payload = data.subarray(16);
        if (payload.length !== len) return this.fail(op, ROM_INVALID_MSG, 'length');
        if (xorChecksum(payload) !== (checksum & 0xff)) return this.fail(op, ROM_BAD_CRC, 'checksum');
        if (seq !== this.mem.seq) return this.fail(op, ROM_FAILED, `sequence ${seq}, expected ${this.mem.seq}`);
        this.mem.seq++;
        return this.reply(op);
      }
      case OP.MEM_END: {
        const entry = word(1);
        this.reply(op);
        if (entry !== 0 && !this.stub) {
          // The uploaded code is esptool's flasher stub; it announces itself.
          this.stub = true;
          this.send(new TextEncoder().encode('OHAI'));
        }
        return;
      }
      case OP.SPI_ATTACH:
        return this.reply(op);
      case OP.SPI_SET_PARAMS:
        this.spiFlashSize = word(1);
        return this.reply(op);
      case OP.CHANGE_BAUDRATE:
        this.reply(op); // answered at the old rate, then the UART switches
        this.baud = word(0);
        return;
      case OP.FLASH_BEGIN:
      case OP.FLASH_DEFL_BEGIN: {
        const eraseOrSize = word(0), blocks = word(1), blockSize = word(2), offset = word(3);
        const romExtraWord = !this.stub && (op === OP.FLASH_BEGIN || this.chip !== 'esp32');
        if (size !== (romExtraWord ? 20 : 16)) return this.fail(op, this.stub ? STUB_BAD_DATA_LEN : ROM_INVALID_MSG, `${size}-byte BEGIN`);
        if (offset + eraseOrSize > this.spiFlashSize) return this.fail(op, this.stub ? STUB_TOO_MUCH_DATA : ROM_FAILED, 'beyond the flash size');
        this.erase(offset, eraseOrSize);
        this.write = { kind: op === OP.FLASH_BEGIN ? 'raw' : 'defl', offset, size: eraseOrSize, blockSize, blocks, seq: 0, compressed: [], written: 0 };
        return this.reply(op);
      }
      case OP.FLASH_DATA:
      case OP.FLASH_DEFL_DATA: {
        const w = this.write;
        const wantKind = op === OP.FLASH_DATA ? 'raw' : 'defl';
        if (!w || w.kind !== wantKind) return this.fail(op, this.stub ? STUB_NOT_IN_FLASH_MODE : ROM_FAILED, 'no matching BEGIN');
        const len = word(0), seq = word(1), payload = data.subarray(16);
        if (payload.length !== len) return this.fail(op, this.stub ? STUB_BAD_DATA_LEN : ROM_INVALID_MSG, 'length');
        const blockIndex = this.dataBlocks++;
        const corrupted = this.failChecksumOfBlock === blockIndex;
        if (corrupted) this.failChecksumOfBlock = null;
        if (corrupted || xorChecksum(payload) !== (checksum & 0xff)) return this.fail(op, this.stub ? STUB_BAD_CHECKSUM : ROM_BAD_CRC, 'checksum');
        if (seq !== w.seq) return this.fail(op, ROM_FAILED, `sequence ${seq}, expected ${w.seq}`);
        if (w.kind === 'raw') {
          this.program(w.offset + seq * w.blockSize, payload);
        } else {
          w.compressed.push(Buffer.from(payload));
          let plain: Buffer;
          try {
            plain = inflateSync(Buffer.concat(w.compressed), { finishFlush: zlib.Z_SYNC_FLUSH });
          } catch (error) {
            return this.fail(op, this.stub ? STUB_INFLATE : ROM_DEFLATE, (error as Error).message);
          }
          if (plain.length > w.written) {
            this.program(w.offset + w.written, plain.subarray(w.written));
            w.written = plain.length;
          }
        }
        w.seq++;
        return this.reply(op);
      }
      case OP.FLASH_END:
      case OP.FLASH_DEFL_END: {
        this.write = null;
        this.reply(op);
        if (word(0) === 0) this.boot('app'); // 0 = reboot
        return;
      }
      case OP.SPI_FLASH_MD5: {
        const offset = word(0), length = word(1);
        this.md5Requests.push({ offset, size: length });
        const digest = createHash('md5').update(this.flash.subarray(offset, offset + length)).digest();
        return this.reply(op, 0, this.stub ? new Uint8Array(digest) : new TextEncoder().encode(digest.toString('hex')));
      }
      case OP.ERASE_FLASH:
        if (!this.stub) break;
        this.flash.fill(0xff);
        return this.reply(op);
      case OP.ERASE_REGION:
        if (!this.stub) break;
        this.erase(word(0), word(1));
        return this.reply(op);
    }
    if (this.stub) return this.fail(op, STUB_NOT_IMPLEMENTED, 'unknown command');
    return this.fail(op, ROM_INVALID_MSG, 'unknown command');
  }

  private spiCommand(): void {
    const base = this.def.spiBase;
    const command = (this.regs.get(base + this.def.usr2) ?? 0) & 0xff;
    if (command === 0x9f) this.regs.set(base + this.def.w0, JEDEC_ID_4MB); // RDID
    this.regs.set(base, (this.regs.get(base) ?? 0) & ~SPI_CMD_USR); // done
  }

  private erase(offset: number, size: number): void {
    const start = Math.floor(offset / 4096) * 4096;
    const end = Math.min(this.flash.length, Math.ceil((offset + size) / 4096) * 4096);
    this.flash.fill(0xff, start, end);
  }

  private program(offset: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length && offset + i < this.flash.length; i++) this.flash[offset + i] &= bytes[i];
    const bad = this.flipFlashByteAt;
    if (bad !== null && bad >= offset && bad < offset + bytes.length) this.flash[bad] ^= 0x10;
  }
}

export function xorChecksum(bytes: Uint8Array): number {
  let state = 0xef;
  for (const b of bytes) state ^= b;
  return state;
}
