// The GattLink port on ESP32: the ECMA-419 central's GATTClient
// (`embedded:io/bluetoothle/central`, NimBLE) — the Moddable client API with write *with*
// response; the legacy bleclient's characteristics only write without response.
//
// Scanning stays on the legacy bleclient (scanner-ble.ts), which also brings NimBLE up:
// the 419 GATTClient never initialises the stack (only its GAPClient does), so it runs on
// the host the scanner started. NimBLE cannot connect while it scans, hence pausesScan.
//
// Gaps in the 419 client (SDK 8.2.3, modules/io/ble/client/esp32/bleclient.{js,c}) that this
// adapter covers, so the core's contract (host.ts) holds:
// - ble_gap_connect() runs with BLE_HS_FOREVER and its result is ignored, so a connect NimBLE
//   refuses never answers. After connectTimeoutMs the connect is cancelled and the failure
//   reported once NimBLE confirms the cancel: the radio is free when the core resumes scanning.
// - When the link drops, queued requests still fail one by one; the port wants them silent
//   (onDisconnect says it), so nothing reaches the core once the link is down.
// - The disconnect reason is not passed to JS: a drop reports Tasmota's error 2 ("did
//   disconnect"), our own disconnect HCI 0x16 (terminated by the local host).
// - A service has no start/end handles in JS. They come from store(), which copies NimBLE's
//   struct ble_gatt_svc after a 2-byte tag: 0x7370, start_handle, end_handle (little-endian).
// - subscribe() on a characteristic without a CCCD throws inside the 419 request queue; the
//   adapter finds the CCCD (0x2902) itself and writes it, so a missing one is "not-found".
// - read()/write() ignore NimBLE's immediate errors too (the request then never answers):
//   the core's step timeouts cover those; an over-long write is refused here up front.
// - An exception in a callback from the stack is unhandled (the device resets): every call
//   into the core is guarded.
// - Bonding (GattPeer.bond, MI32Pair): the 419 client takes `security` at construction and
//   starts SMP after onReady; onSecured comes once the link is encrypted, and a failed
//   pairing calls nothing (bleclient.c ignores an ENC_CHANGE with an error). So the core's
//   onConnect waits for onSecured, and the connect timeout covers a pairing that never
//   completes. Bonds live in NimBLE's store; forgetBond deletes one with the legacy `sm`
//   module (SM.deleteBonding). Not run on hardware: typechecked only.

import { GATTClient } from "embedded:io/bluetoothle/central";
import Timer from "timer";
import { SM } from "sm";
import { GATT_PROPERTY, type GattCharacteristic, type GattConnection, type GattConnectionEvents, type GattFailure, type GattService, type Log } from "core/host";
import { normalizeMac } from "core/bytes/hex";
import { GATT_ERROR } from "core/gatt/codes";
import { parseUuid } from "core/gatt/uuid";
import type { CreateGattLink } from "mi32/ports";

// The 419 module's service, characteristic and descriptor objects (host chunks over NimBLE's
// structs). Its typings declare them without exporting them; these are the same shapes.
interface NativeService {
  readonly uuid: string;
}
interface NativeCharacteristic {
  readonly uuid: string;
  readonly handle: number;
  readonly properties: number;
}
interface NativeDescriptor {
  readonly uuid: string;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 4000;
/** How long a cancelled connect may take to be confirmed before we stop waiting. */
const CANCEL_GRACE_MS = 1000;
/** How long our own disconnect may take to be confirmed before onDisconnect fires anyway. */
const CLOSE_GRACE_MS = 3000;
/** HCI "connection terminated by local host". */
const LOCAL_HOST_TERMINATED = 0x16;
const CCCD = "00002902-0000-1000-8000-00805f9b34fb";
/** NimBLE status ranges (host/ble_hs.h): BLE_HS_ERR_ATT_BASE, BLE_HS_ERR_HCI_BASE. */
const ATT_BASE = 0x100;
const HCI_BASE = 0x200;
const BLE_HS_ENOTCONN = 7;

const ATT_ERRORS: Readonly<Record<number, [GattFailure["code"], string]>> = {
  0x01: ["not-found", "invalid handle"],
  0x02: ["not-permitted", "read not permitted"],
  0x03: ["not-permitted", "write not permitted"],
  0x05: ["not-permitted", "insufficient authentication"],
  0x06: ["failed", "request not supported"],
  0x07: ["failed", "invalid offset"],
  0x08: ["not-permitted", "insufficient authorization"],
  0x0a: ["not-found", "attribute not found"],
  0x0c: ["not-permitted", "insufficient encryption key size"],
  0x0d: ["failed", "invalid attribute value length"],
  0x0e: ["failed", "unlikely error"],
  0x0f: ["not-permitted", "insufficient encryption"],
};

const hex2 = (n: number) => n.toString(16).padStart(2, "0");
const text = (e: unknown) => (e instanceof Error ? e.message : String(e));
const canonical = (uuid: string) => parseUuid(uuid) ?? uuid.toLowerCase();

/** The 419 client's errors are `new Error(status)` with NimBLE's status number. */
function failure(what: string, error: unknown, connecting = false): GattFailure {
  const status = Number(error instanceof Error ? error.message : NaN);
  if (!Number.isInteger(status) || status <= 0) return { code: "failed", message: `${what}: ${text(error)}` };
  if (status >= ATT_BASE && status < HCI_BASE) {
    const att = status - ATT_BASE;
    const [code, name] = ATT_ERRORS[att] ?? ["failed", "ATT error"];
    return { code, message: `${what}: ${name} (ATT 0x${hex2(att)})`, reason: att };
  }
  if (status >= HCI_BASE && status < HCI_BASE + 0x100) {
    const hci = status - HCI_BASE;
    return { code: connecting ? "refused" : "failed", message: `${what}: HCI error 0x${hex2(hci)}`, reason: hci };
  }
  if (status === BLE_HS_ENOTCONN) return { code: "not-connected", message: `${what}: not connected`, reason: status };
  return { code: "failed", message: `${what}: NimBLE error ${status}`, reason: status };
}

function guard(log: Log, what: string, call: () => void): void {
  try {
    call();
  } catch (e) {
    log.error(`GATT ${what}: ${text(e)}`);
  }
}

/** Answers never come from inside the call that asked (as on the radio). */
function later(log: Log, what: string, call: () => void): void {
  Timer.set(() => guard(log, what, call), 0);
}

/** "A4C1381A2B01", 1 → "A4:C1:38:1A:2B:01/1" (bleclient.c parses "%2hhx:…:%2hhx/%2hhx"). */
function peerAddress(mac: string, addrType: number): string | undefined {
  const normal = normalizeMac(mac);
  if (!normal || !Number.isInteger(addrType) || addrType < 0 || addrType > 3) return undefined;
  return `${normal.match(/../g)!.join(":")}/${addrType}`;
}

function serviceRange(gatt: GATTClient, service: NativeService): [number, number] {
  try {
    const raw = new DataView(gatt.store(service));
    if (raw.byteLength >= 6 && raw.getUint16(0, true) === 0x7370) return [raw.getUint16(2, true), raw.getUint16(4, true)];
  } catch {
    // fall through: the handles are informational for the core
  }
  return [0, 0];
}

class NimbleConnection implements GattConnection {
  open = true;
  private reported = false;
  private readonly services = new Map<string, NativeService>();
  private readonly characteristics = new Map<number, NativeCharacteristic>();
  private readonly cccds = new Map<number, NativeDescriptor>();

  constructor(
    private readonly gatt: GATTClient,
    private readonly events: GattConnectionEvents,
    private readonly log: Log,
    private readonly released: () => void,
  ) {}

  discoverServices(done: (error: GattFailure | undefined, services: GattService[]) => void): void {
    this.request("discover services", (f) => done(f, []), () => this.gatt.getPrimaryServices((error, list) => this.reply("discover services", () => {
      if (error) return done(failure("discover services", error), []);
      const services: GattService[] = [];
      for (const native of list) {
        const uuid = canonical(native.uuid);
        const [start, end] = serviceRange(this.gatt, native);
        this.services.set(`${uuid}@${start}`, native);
        services.push({ uuid, start, end });
      }
      done(undefined, services);
    })));
  }

  discoverCharacteristics(service: GattService, done: (error: GattFailure | undefined, characteristics: GattCharacteristic[]) => void): void {
    const native = this.services.get(`${service.uuid}@${service.start}`);
    if (!native) return this.refuse("discover characteristics", `service ${service.uuid} was not discovered on this link`, (f) => done(f, []));
    this.request("discover characteristics", (f) => done(f, []), () => this.gatt.getCharacteristics(native, (error, list) => this.reply("discover characteristics", () => {
      if (error) return done(failure("discover characteristics", error), []);
      const characteristics: GattCharacteristic[] = [];
      for (const chr of list) {
        this.characteristics.set(chr.handle, chr);
        characteristics.push({ uuid: canonical(chr.uuid), handle: chr.handle, properties: chr.properties });
      }
      done(undefined, characteristics);
    })));
  }

  read(characteristic: GattCharacteristic, done: (error: GattFailure | undefined, value?: Uint8Array) => void): void {
    const native = this.native(characteristic, "read", done);
    if (!native) return;
    this.request("read", done, () => this.gatt.read(native, (error, value) => this.reply("read", () => {
      if (error) done(failure("read", error));
      else done(undefined, new Uint8Array(value));
    })));
  }

  write(characteristic: GattCharacteristic, value: Uint8Array, withResponse: boolean, done: (error: GattFailure | undefined) => void): void {
    const native = this.native(characteristic, "write", done);
    if (!native) return;
    const max = this.gatt.maximumWrite; // ATT MTU - 3; NimBLE would refuse a longer value without answering
    if (max > 0 && value.length > max) return this.refuse("write", `${value.length} bytes, the link takes at most ${max}`, done, "failed");
    const bytes = value.slice(); // the request may wait in the 419 queue
    this.request("write", done, () => this.gatt.write(native, bytes, { response: withResponse }, (error) => this.reply("write", () => {
      done(error ? failure("write", error) : undefined);
    })));
  }

  subscribe(characteristic: GattCharacteristic, done: (error: GattFailure | undefined) => void): void {
    const p = characteristic.properties;
    // Notify when the characteristic has it, else indicate (the port's rule, and the 419 client's).
    const flag = p & GATT_PROPERTY.notify ? 1 : p & GATT_PROPERTY.indicate ? 2 : 0;
    if (!flag) return this.refuse("subscribe", `${characteristic.uuid} cannot notify or indicate`, done, "not-permitted");
    this.writeCccd(characteristic, flag, "subscribe", done);
  }

  unsubscribe(characteristic: GattCharacteristic, done: (error: GattFailure | undefined) => void): void {
    this.writeCccd(characteristic, 0, "unsubscribe", done);
  }

  disconnect(): void {
    if (!this.open) return;
    this.open = false;
    const fallback = Timer.set(() => {
      this.log.warn("GATT: disconnect not confirmed by the stack; link forgotten");
      this.down(LOCAL_HOST_TERMINATED);
    }, CLOSE_GRACE_MS);
    try {
      this.gatt.close(() => {
        Timer.clear(fallback);
        this.down(LOCAL_HOST_TERMINATED);
      });
    } catch (e) {
      this.log.warn(`GATT: close: ${text(e)}`);
    }
  }

  /** The peer (or the radio) ended the link. */
  dropped(): void {
    this.open = false;
    try {
      this.gatt.close(); // frees the native client; the queue cancels what is left
    } catch {
      // already closing
    }
    this.down(GATT_ERROR.didDisconnect);
  }

  notified(handle: number, value: Uint8Array): void {
    if (this.open) guard(this.log, "notification", () => this.events.onNotification(handle, value));
  }

  private down(reason: number): void {
    this.open = false;
    if (this.reported) return;
    this.reported = true;
    this.released();
    guard(this.log, "disconnect", () => this.events.onDisconnect(reason));
  }

  private writeCccd(characteristic: GattCharacteristic, flag: number, what: string, done: (error: GattFailure | undefined) => void): void {
    const native = this.native(characteristic, what, done);
    if (!native) return;
    const write = (cccd: NativeDescriptor) => this.request(what, done, () => this.gatt.write(cccd, Uint8Array.of(flag, 0), { response: true }, (error) => this.reply(what, () => {
      done(error ? failure(what, error) : undefined);
    })));
    const known = this.cccds.get(characteristic.handle);
    if (known) return write(known);
    this.request(what, done, () => this.gatt.getDescriptors(native, (error, list) => this.reply(what, () => {
      if (error) return done(failure(`${what}: descriptor discovery`, error));
      const cccd = list.find((d) => canonical(d.uuid) === CCCD);
      if (!cccd) return done({ code: "not-found", message: `${what}: ${characteristic.uuid} has no CCCD (0x2902)` });
      this.cccds.set(characteristic.handle, cccd);
      write(cccd);
    })));
  }

  private native(characteristic: GattCharacteristic, what: string, done: (error: GattFailure) => void): NativeCharacteristic | undefined {
    const native = this.characteristics.get(characteristic.handle);
    if (!native) this.refuse(what, `handle ${characteristic.handle} was not discovered on this link`, done);
    return native;
  }

  /** Starts a 419 request; if the module throws at once (closing, bad object), fail it later. */
  private request(what: string, fail: (f: GattFailure) => void, start: () => void): void {
    if (!this.open) return;
    try {
      start();
    } catch (e) {
      this.refuse(what, text(e), fail);
    }
  }

  /** A request's answer: only while the link is up (the port's rule), guarded. */
  private reply(what: string, answer: () => void): void {
    if (this.open) guard(this.log, what, answer);
  }

  private refuse(what: string, message: string, fail: (f: GattFailure) => void, code: GattFailure["code"] = "not-found"): void {
    later(this.log, what, () => {
      if (this.open) fail({ code, message: `${what}: ${message}` });
    });
  }
}

export const createGattLink: CreateGattLink = (log, options = {}) => {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // One link at a time: the core asks for no more, and sdkconfig has CONFIG_BT_NIMBLE_MAX_CONNECTIONS=1.
  let busy = false;

  return {
    pausesScan: true,

    forgetBond(peer) {
      const mac = normalizeMac(peer.mac);
      if (!mac) return;
      // NimBLE's ble_addr_t order: least significant byte first.
      const bytes = Uint8Array.from(mac.match(/../g)!.map((h) => parseInt(h, 16))).reverse();
      try {
        SM.deleteBonding(bytes.buffer, peer.addrType as never);
      } catch (e) {
        log.warn(`GATT: could not delete the bond of ${mac}: ${text(e)}`);
      }
    },

    connect(peer, events) {
      const address = peerAddress(peer.mac, peer.addrType);
      if (!address) return later(log, "connect", () => events.onConnectFailed({ code: "failed", message: `connect: bad peer ${peer.mac}/${peer.addrType}` }));
      if (busy) return later(log, "connect", () => events.onConnectFailed({ code: "refused", message: "connect: a GATT link is already open or opening (one at a time)" }));

      let phase: "connecting" | "securing" | "cancelling" | "open" | "done" = "connecting";
      let connection: NimbleConnection | undefined;
      let timer: Timer | undefined;
      const timedOut: GattFailure = { code: "failed", message: `connect: no answer from ${address} in ${connectTimeoutMs} ms` };
      const stopTimer = () => {
        if (timer) Timer.clear(timer);
        timer = undefined;
      };
      const fail = (f: GattFailure) => {
        if (phase === "open" || phase === "done") return;
        phase = "done";
        stopTimer();
        busy = false;
        guard(log, "connect", () => events.onConnectFailed(f));
      };

      const opened = (client: GATTClient) => {
        phase = "open";
        stopTimer();
        const open = new NimbleConnection(client, events, log, () => { busy = false; });
        connection = open;
        guard(log, "connect", () => events.onConnect(open));
      };
      let gatt: GATTClient;
      try {
        gatt = new GATTClient({
          address,
          // Just Works with bonding: no display or keyboard on a gateway.
          ...(peer.bond ? { security: { bond: true } } : {}),
          onReady() {
            if (phase !== "connecting") {
              // Connected just as we gave up: the close queued by the cancel hangs up.
              fail(timedOut);
              return;
            }
            if (peer.bond) phase = "securing"; // onConnect once the link is encrypted (onSecured)
            else opened(this);
          },
          onSecured(info) {
            if (phase !== "securing") return;
            if (info.encrypted && info.bonded) return opened(this);
            try {
              this.close();
            } catch {
              // already closing
            }
            fail({ code: "not-permitted", message: `pairing with ${address} gave no bond (encrypted ${info.encrypted}, bonded ${info.bonded})` });
          },
          onError(error?: Error) {
            if (phase === "open") return connection?.dropped();
            if (phase === "securing") {
              phase = "done";
              stopTimer();
              busy = false;
              return guard(log, "connect", () => events.onConnectFailed({ code: "not-permitted", message: `${address} dropped the link while pairing` }));
            }
            try {
              this.close();
            } catch {
              // already closing
            }
            fail(phase === "cancelling" ? timedOut : failure("connect", error, true));
          },
          onReadable(count) {
            // Take exactly `count`: read() with an empty queue dereferences NULL in bleclient.c.
            for (let i = 0; i < count; i++) {
              const value = this.read();
              if (!value) break;
              connection?.notified(value.handle, new Uint8Array(value));
            }
          },
        });
      } catch (e) {
        return later(log, "connect", () => events.onConnectFailed({ code: "failed", message: `connect: ${text(e)}` }));
      }
      busy = true;
      timer = Timer.set(() => {
        timer = undefined;
        if (phase === "securing") {
          // Pairing never completed (refused, or the peer ignored it): hang up.
          phase = "cancelling";
          try {
            gatt.close();
          } catch {
            // already closing
          }
          return fail({ code: "not-permitted", message: `pairing with ${address} did not complete in ${connectTimeoutMs} ms` });
        }
        if (phase !== "connecting") return;
        phase = "cancelling";
        try {
          gatt.close(); // ble_gap_conn_cancel; NimBLE then answers the connect with an error
        } catch {
          // already closing
        }
        timer = Timer.set(() => {
          timer = undefined;
          log.warn(`GATT: cancelled connect to ${address} not confirmed by the stack`);
          fail(timedOut);
        }, CANCEL_GRACE_MS);
      }, connectTimeoutMs);
    },
  };
};
