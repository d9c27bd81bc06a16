// What a request does once the link is up: find its characteristic (discovery, cached on
// the session), then run its operation. Every link call goes through `Steps.run`, which
// the client owns: it arms the timeout and lets a disconnect fail the step.

import type { GattCharacteristic, GattConnection, GattFailure, GattService } from '../host.js';
import { GATT_PROPERTY } from '../host.js';
import { GATT_ERROR, GATT_OP, isOneShot } from './codes.js';
import { capValue, describe, StepFailure, type GattRequest, type GattResult } from './request.js';
import type { Session } from './states.js';
import { shortUuid } from './uuid.js';

/** The step in flight: a disconnect or a timeout fails it; a one-shot subscribe waits on it for the first notification. */
export interface ActiveStep {
  fail(failure: StepFailure): void;
  onNotification?: (value: Uint8Array) => void;
}

export type StepStart<T> = (ok: (value: T) => void, fail: (failure: StepFailure) => void, step: ActiveStep) => void;

export interface Steps {
  /** One link operation with a timeout; a timeout fails it with `timeoutCode` and marks the link suspect. */
  run<T>(timeoutMs: number, timeoutCode: number, what: string, start: StepStart<T>): Promise<T>;
  readonly stepMs: number;
  readonly notifyMs: number;
}

/** An open link: the session and its connection. */
export interface OpenLink {
  session: Session;
  connection: GattConnection;
}

/** A link callback's error as the step's failure with `code`. */
function failWith(code: number, fail: (f: StepFailure) => void) {
  return (error: GattFailure) => fail(new StepFailure(code, describe(error)));
}

export async function findCharacteristic(steps: Steps, link: OpenLink, req: GattRequest): Promise<GattCharacteristic> {
  const { session, connection } = link;
  if (!session.services) {
    session.services = await steps.run<GattService[]>(steps.stepMs, GATT_ERROR.noService, 'service discovery', (ok, fail) =>
      connection.discoverServices((error, services) => (error ? failWith(GATT_ERROR.noService, fail)(error) : ok(services))));
  }
  // By handle (Tasmota's arg1): every service is discovered to learn the properties.
  const wanted = req.handle !== undefined ? session.services : session.services.filter((s) => s.uuid === req.service);
  if (wanted.length === 0) throw new StepFailure(GATT_ERROR.noService, `service ${shortUuid(req.service!)} not on ${req.mac}`);
  for (const service of wanted) {
    const chars = await characteristicsOf(steps, link, service);
    const found = chars.find((c) => (req.handle !== undefined ? c.handle === req.handle : c.uuid === req.characteristic));
    if (found) return found;
  }
  throw new StepFailure(GATT_ERROR.noCharacteristic, req.handle !== undefined
    ? `no characteristic with handle ${req.handle}`
    : `characteristic ${shortUuid(req.characteristic!)} not in service ${shortUuid(req.service!)}`);
}

async function characteristicsOf(steps: Steps, { session, connection }: OpenLink, service: GattService): Promise<GattCharacteristic[]> {
  const cached = session.characteristics.get(service.uuid);
  if (cached) return cached;
  const chars = await steps.run<GattCharacteristic[]>(steps.stepMs, GATT_ERROR.noCharacteristic, 'characteristic discovery', (ok, fail) =>
    connection.discoverCharacteristics(service, (error, list) => (error ? failWith(GATT_ERROR.noCharacteristic, fail)(error) : ok(list))));
  session.characteristics.set(service.uuid, chars);
  for (const c of chars) session.byHandle.set(c.handle, c);
  return chars;
}

function readValue(steps: Steps, { connection }: OpenLink, chr: GattCharacteristic): Promise<Uint8Array> {
  if (!(chr.properties & GATT_PROPERTY.read)) throw new StepFailure(GATT_ERROR.cannotRead, `${shortUuid(chr.uuid)} is not readable`);
  return steps.run<Uint8Array>(steps.stepMs, GATT_ERROR.cannotRead, 'read', (ok, fail) =>
    connection.read(chr, (error, value) => (error ? failWith(GATT_ERROR.cannotRead, fail)(error) : ok(value ?? new Uint8Array(0)))));
}

function writeValue(steps: Steps, { connection }: OpenLink, chr: GattCharacteristic, value: Uint8Array, wantResponse: boolean): Promise<void> {
  const canRespond = (chr.properties & GATT_PROPERTY.write) !== 0;
  const canSilent = (chr.properties & GATT_PROPERTY.writeWithoutResponse) !== 0;
  if (!canRespond && !canSilent) throw new StepFailure(GATT_ERROR.cannotWrite, `${shortUuid(chr.uuid)} is not writable`);
  const withResponse = canRespond && (wantResponse || !canSilent);
  return steps.run<void>(steps.stepMs, GATT_ERROR.didNotWrite, 'write', (ok, fail) =>
    connection.write(chr, value, withResponse, (error) => (error ? failWith(GATT_ERROR.didNotWrite, fail)(error) : ok())));
}

async function setSubscription(steps: Steps, { session, connection }: OpenLink, chr: GattCharacteristic, on: boolean): Promise<void> {
  if (!(chr.properties & (GATT_PROPERTY.notify | GATT_PROPERTY.indicate))) throw new StepFailure(GATT_ERROR.cannotNotify, `${shortUuid(chr.uuid)} cannot notify`);
  await steps.run<void>(steps.stepMs, GATT_ERROR.cannotNotify, on ? 'subscribe' : 'unsubscribe', (ok, fail) => {
    const done = (error: GattFailure | undefined) => (error ? failWith(GATT_ERROR.cannotNotify, fail)(error) : ok());
    if (on) connection.subscribe(chr, done);
    else connection.unsubscribe(chr, done);
  });
  if (on) session.subscribed.add(chr.handle);
  else session.subscribed.delete(chr.handle);
}

/** The first notification after a one-shot subscribe, or error 9. */
function firstNotification(steps: Steps): Promise<Uint8Array> {
  return steps.run<Uint8Array>(steps.notifyMs, GATT_ERROR.timeout, 'first notification', (ok, _fail, step) => {
    step.onNotification = ok;
  });
}

type OpRunner = (steps: Steps, link: OpenLink, chr: GattCharacteristic, req: GattRequest) => Promise<Partial<GattResult>>;

/** Each base op, once its characteristic is found. */
export const OP_RUNNERS: Readonly<Record<number, OpRunner>> = {
  [GATT_OP.read]: async (steps, link, chr) => {
    const value = await readValue(steps, link, chr);
    return { error: GATT_ERROR.none, value: capValue(value), message: `read ${value.length} bytes` };
  },
  [GATT_OP.write]: async (steps, link, chr, req) => {
    await writeValue(steps, link, chr, req.value!, req.withResponse === true);
    return { error: GATT_ERROR.none, message: `wrote ${req.value!.length} bytes` };
  },
  [GATT_OP.subscribe]: async (steps, link, chr, req) => {
    await setSubscription(steps, link, chr, true);
    if (!isOneShot(req.op)) return { error: GATT_ERROR.none, handles: [chr.handle], message: 'subscribed' };
    const value = await firstNotification(steps);
    return { error: GATT_ERROR.none, handles: [chr.handle], value, message: 'notified' };
  },
  [GATT_OP.unsubscribe]: async (steps, link, chr) => {
    await setSubscription(steps, link, chr, false);
    return { error: GATT_ERROR.none, message: 'unsubscribed' };
  },
};
