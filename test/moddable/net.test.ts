// The Net port on Moddable's `socket`/`securesocket` (firmware/moddable/net.ts), run against
// a fake socket the test drives with the SDK's callback messages: writes wait for lwIP's
// free send space instead of throwing, onClose fires once with a reason, and TLS options
// reach SecureSocket.
import { beforeEach, describe, expect, it } from 'vitest';
import { createNet, pemToDer } from '../../firmware/moddable/net.js';
import { sockets } from './fakes/socket.js';
import { advance } from './fakes/timer.js';

const CONNECTED = 1, READABLE = 2, WRITABLE = 3, DISCONNECTED = -1, ERROR = -2;

function open(options: { host?: string; tls?: { ca?: string; verify?: boolean } } = {}) {
  const events = { connected: 0, data: [] as number[], closes: [] as (string | undefined)[] };
  const socket = createNet().connectTcp({ host: options.host ?? 'broker.lan', port: 1883, ...(options.tls ? { tls: options.tls } : {}) }, {
    onConnect: () => events.connected++,
    onData: (bytes) => events.data.push(...bytes),
    onClose: (error) => events.closes.push(error?.message),
  });
  return { socket, events, raw: sockets[sockets.length - 1]! };
}

beforeEach(() => {
  sockets.length = 0;
});

describe('Moddable Net adapter', () => {
  it('holds writes until connected, then sends them in order', () => {
    const { socket, events, raw } = open();
    socket.write(new Uint8Array([1, 2, 3]));
    expect(raw.written).toEqual([]);
    raw.callback(CONNECTED);
    expect(events.connected).toBe(1);
    socket.write(new Uint8Array([4]));
    expect(raw.written).toEqual([1, 2, 3, 4]);
  });

  it('splits a write larger than the free send buffer and sends the rest when the socket is writable', () => {
    const { socket, raw } = open();
    raw.callback(CONNECTED);
    raw.free = 2;
    socket.write(new Uint8Array([1, 2, 3, 4, 5]));
    expect(raw.written).toEqual([1, 2]);
    raw.free = 2;
    raw.callback(WRITABLE);
    expect(raw.written).toEqual([1, 2, 3, 4]);
    raw.free = 10;
    raw.callback(WRITABLE);
    expect(raw.written).toEqual([1, 2, 3, 4, 5]);
  });

  it('delivers received bytes', () => {
    const { events, raw } = open();
    raw.callback(CONNECTED);
    raw.receive(new Uint8Array([0x20, 0x02, 0x00, 0x00]));
    expect(events.data).toEqual([0x20, 0x02, 0x00, 0x00]);
  });

  it('reports a refused connection once, with where it went', () => {
    const { events, raw } = open();
    raw.callback(ERROR);
    raw.callback(DISCONNECTED);
    expect(events.closes).toEqual(['broker.lan:1883: connection failed (refused, unreachable or DNS)']);
    expect(raw.closed).toBe(true);
  });

  it('a peer hanging up after connect is a clean close; before connect it is an error', () => {
    const a = open();
    a.raw.callback(CONNECTED);
    a.raw.callback(DISCONNECTED);
    expect(a.events.closes).toEqual([undefined]);
    const b = open();
    b.raw.callback(DISCONNECTED);
    expect(b.events.closes).toEqual(['broker.lan:1883: connection closed before it was established']);
  });

  it('a constructor that throws is reported asynchronously, like every other outcome', () => {
    const { events } = open({ host: 'throw.invalid' });
    expect(events.closes).toEqual([]);
    advance(0);
    expect(events.closes).toEqual(['throw.invalid:1883: bad host']);
  });

  it('close() by the caller sends what fits and fires no onClose', () => {
    const { socket, events, raw } = open();
    raw.callback(CONNECTED);
    socket.write(new Uint8Array([0xe0, 0x00]));
    socket.close();
    raw.callback(DISCONNECTED);
    expect(raw.written).toEqual([0xe0, 0x00]);
    expect(raw.closed).toBe(true);
    expect(events.closes).toEqual([]);
  });

  it('passes TLS options to SecureSocket: server name, verification on by default, the CA as DER', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAQIDBA==\n-----END CERTIFICATE-----\n';
    const { raw, events } = open({ tls: { ca: pem } });
    const secure = raw.options.secure as { tls_server_name: string; verify: boolean; certificate: ArrayBuffer };
    expect(secure.tls_server_name).toBe('broker.lan');
    expect(secure.verify).toBe(true);
    expect([...new Uint8Array(secure.certificate)]).toEqual([1, 2, 3, 4]);
    raw.callback(ERROR);
    expect(events.closes[0]).toMatch(/^TLS to broker.lan:1883 failed; check the CA certificate/);
  });

  it('pemToDer decodes the first certificate and ignores what is not one', () => {
    expect([...pemToDer('-----BEGIN CERTIFICATE-----\nAAEC\n/w==\n-----END CERTIFICATE-----')!]).toEqual([0, 1, 2, 255]);
    expect(pemToDer('no certificate here')).toBeUndefined();
  });
});
