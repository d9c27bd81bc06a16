// The values that cross between a script's sandbox and the gateway (core/script/crossing.ts),
// shared by the Node worker and the device's Worker sandbox.
import { describe, expect, it } from 'vitest';
import { Crossing } from '../../firmware/core/script/crossing.js';

describe('Crossing (inside a script sandbox)', () => {
  it('sends callbacks and buffers by id (the same id each time) and data as it is', () => {
    const c = new Crossing(64);
    const cb = () => 1;
    const buf = new Uint8Array([1, 2, 3]);
    const a = c.encode(cb, 'x.js') as { $fn: number };
    expect(c.encode(cb, 'x.js')).toMatchObject({ $fn: a.$fn });
    const b = c.encode(buf, 'x.js') as { $buf: number; bytes: Uint8Array };
    expect([...b.bytes]).toEqual([1, 2, 3]);
    expect(b.bytes).not.toBe(buf); // a copy
    expect(c.encode(buf, 'x.js')).toMatchObject({ $buf: b.$buf });
    expect(c.encode({ n: 1 }, 'x.js')).toEqual({ $v: { n: 1 } });
    expect(c.callback(a.$fn)).toBe(cb);
  });

  it('syncs buffers both ways, forgets what the gateway no longer holds and the callbacks it released', () => {
    const c = new Crossing(64);
    const cb = () => 1;
    const keep = new Uint8Array(4);
    const drop = new Uint8Array(2);
    const { $fn } = c.encode(cb, 'x.js') as { $fn: number };
    const { $buf: k } = c.encode(keep, 'x.js') as { $buf: number };
    c.encode(drop, 'x.js');
    keep[0] = 7;
    expect(c.outgoing().map(([id, bytes]) => [id, [...bytes]])).toEqual([[k, [7, 0, 0, 0]], [k + 1, [0, 0]]]);
    c.incoming([[k, new Uint8Array([9, 8, 7, 6, 5])]], [$fn]); // longer than the buffer: clamped
    expect([...keep]).toEqual([9, 8, 7, 6]);
    expect(c.outgoing().map(([id]) => id)).toEqual([k]);
    expect(c.callback($fn)).toBeUndefined();
  });

  it('refuses a buffer over the limit before keeping it, and never asks a subclass for its length or set', () => {
    const c = new Crossing(4);
    expect(() => c.encode(new Uint8Array(5), 'x.js')).toThrow(/at most 4 bytes, this one 5/);
    expect(c.outgoing()).toEqual([]);
    class Sneaky extends Uint8Array {
      override get length(): number { throw new Error('length asked'); }
      override set(): void { throw new Error('set asked'); }
    }
    const s = new Sneaky(3);
    const { $buf } = c.encode(s, 'x.js') as { $buf: number };
    c.incoming([[$buf, new Uint8Array([1, 2, 3])]], []);
    expect([...Uint8Array.from(c.outgoing()[0]![1])]).toEqual([1, 2, 3]);
  });
});
