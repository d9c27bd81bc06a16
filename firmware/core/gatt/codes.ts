// Tasmota's GATT operation and error codes (reference tasmota-mi32.md §6.2). Scripts and
// the MI32Battery/Time/Unit commands speak these numbers, so they are kept exactly.

/** Client operations a request can ask for. 11–15 are the one-shot forms: connect, do op % 10, disconnect. */
export const GATT_OP = {
  read: 1,
  write: 2,
  subscribe: 3,
  unsubscribe: 4,
  disconnect: 5,
  /** Callback only: a notification or indication from the peer. */
  notification: 103,
} as const;

export const ONE_SHOT_OFFSET = 10;

/** Ops `run()` accepts. */
export const VALID_OPS: readonly number[] = [1, 2, 3, 4, 5, 11, 12, 13, 14];

export const GATT_ERROR = {
  none: 0,
  couldNotConnect: 1,
  didDisconnect: 2,
  noService: 3,
  noCharacteristic: 4,
  cannotRead: 5,
  cannotNotify: 6,
  cannotWrite: 7,
  didNotWrite: 8,
  timeout: 9,
} as const;

export const GATT_ERROR_TEXT: Readonly<Record<number, string>> = {
  0: 'no error',
  1: 'could not connect',
  2: 'did disconnect',
  3: 'got no service',
  4: 'got no characteristic',
  5: 'can not read',
  6: 'can not notify',
  7: 'can not write',
  8: 'did not write',
  9: 'notify time out',
};

/** The base operation of a (possibly one-shot) op code. */
export function baseOp(op: number): number {
  return op > ONE_SHOT_OFFSET ? op - ONE_SHOT_OFFSET : op;
}

export function isOneShot(op: number): boolean {
  return op > ONE_SHOT_OFFSET && op < 100;
}
