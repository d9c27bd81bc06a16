// The device entry (firmware/moddable/main.ts) under Node: the SDK modules are fakes
// (socket, timer, file from test/moddable/fakes; rng, crypt, mc/config and the
// per-platform adapters mocked here), so what main.ts hands the app composition is
// checked: the build's broker, the serial console reaching the gateway and the device's
// own MqttHost command, a broker change retiring the old connection, and scripting on.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import './fakes/xs-globals.js';
import { listeners, sockets } from './fakes/socket.js';
import { createSoftAes } from '../../firmware/core/crypto/aes.js';
import type { Advertisement } from '../../firmware/core/gateway/registry.js';
import type { ScriptHost } from '../../firmware/core/host.js';

const device = vi.hoisted(() => ({
  config: {} as Record<string, unknown>,
  consoleLines: [] as string[],
  onLine: undefined as ((line: string) => void) | undefined,
  deliver: undefined as ((adv: Advertisement) => unknown) | undefined,
  scans: [] as string[],
  scriptLoads: [] as string[],
  accessPoints: 0,
  homekit: [] as { mac: string }[],
}));

vi.mock('mc/config', () => ({ default: device.config }));
vi.mock('rng', () => ({ default: { get: (n: number) => new Uint8Array(n).fill(5).buffer } }));
vi.mock('crypt', () => ({
  BlockCipher: class {
    private readonly aes: (block: Uint8Array) => Uint8Array;
    constructor(_name: string, key: ArrayBuffer) { const soft = createSoftAes(); this.aes = (b) => soft(new Uint8Array(key), b); }
    encrypt(data: ArrayBuffer) { return this.aes(new Uint8Array(data)).slice().buffer; }
  },
}));
vi.mock('mi32/console', () => ({
  createConsole: (o: { onLine: (line: string) => void }) => {
    device.onLine = o.onLine;
    return { write: (line: string) => device.consoleLines.push(line) };
  },
}));
vi.mock('mi32/scanner', () => ({
  createScanner: (o: { deliver: (adv: Advertisement) => unknown }) => {
    device.deliver = o.deliver;
    return { start: (active: boolean) => device.scans.push(active ? 'active' : 'passive'), stop: () => device.scans.push('stop') };
  },
}));
vi.mock('mi32/gatt', () => ({ createGattLink: () => undefined }));
vi.mock('mi32/gps', () => ({ createGpsSource: () => undefined }));
vi.mock('mi32/wifi', () => ({ startWifi: () => {} }));
vi.mock('mi32/ota', () => ({ createOta: () => undefined }));
vi.mock('net', () => ({ default: { get: (what: string) => (what === 'MAC' ? 'a4:cf:12:34:56:78' : undefined) } }));
vi.mock('mi32/homekit', () => ({ startDeviceHomeKit: (_app: unknown, _ports: unknown, options: { mac: string }) => { device.homekit.push(options); return undefined; } }));
vi.mock('mi32/access-point', () => ({ startAccessPoint: () => { device.accessPoints++; return true; } }));
vi.mock('mi32/script-host', () => ({
  createDeviceScriptHost: (): ScriptHost => ({
    load(name) {
      device.scriptLoads.push(name);
      return { ok: true, value: { call: () => ({ ok: true, value: undefined }) } };
    },
  }),
}));

describe('device entry (main.ts)', () => {
  it('hands the build broker, the console and MqttHost to the app; a broker change reconnects; scripts start', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mi32-main-'));
    Object.assign(device.config, { mqttHost: 'broker.lan', topic: 'attic', file: { root: root + '/' } });
    await import('../../firmware/moddable/main.js');
    expect(device.consoleLines[0]).toBe('mi32-xs starting');
    expect(device.scans).toEqual(['passive']);
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.options).toMatchObject({ host: 'broker.lan', port: 1883 });

    device.onLine!('Topic');
    expect(device.consoleLines.at(-1)).toBe('{"Topic":"attic"}');
    device.onLine!('MqttHost');
    expect(device.consoleLines.at(-1)).toBe('{"MqttHost":"broker.lan"}');
    device.onLine!('MqttHost other.lan');
    expect(device.consoleLines.at(-1)).toBe('{"MqttHost":"other.lan"}');
    expect(sockets).toHaveLength(2);
    expect(sockets[0]!.closed).toBe(true);
    expect(sockets[1]!.options).toMatchObject({ host: 'other.lan', port: 1883 });
    expect(sockets[1]!.options.secure).toBeUndefined();
    // MqttTls 1 (the page's TLS box runs the same settings): a TLS connection at once, Moddable's CA list (no mqtt-ca.pem)
    device.onLine!('MqttTls 1');
    expect(device.consoleLines.at(-1)).toBe('{"MqttTls":1}');
    expect(sockets).toHaveLength(3);
    expect(sockets[1]!.closed).toBe(true);
    expect(sockets[2]!.options).toMatchObject({ host: 'other.lan', port: 1883, secure: { tls_server_name: 'other.lan', verify: true } });
    expect(readFileSync(join(root, 'mi32', 'mqtt.json'), 'utf8')).toBe('{"host":"other.lan","tls":true}');
    device.onLine!('MqttTls 0');
    expect(sockets[3]!.options.secure).toBeUndefined();

    device.onLine!('ScriptSave print(1)');
    expect(device.consoleLines.at(-1)).toBe('{"ScriptSave":"Done","Bytes":8,"Running":true}');
    expect(device.scriptLoads).toEqual(['autoexec.js']);
    device.onLine!('MI32Option4 1');
    expect(device.scans.at(-1)).toBe('active');

    // the web page listens on port 80; its WebPassword comes after the device's own commands
    expect(listeners.map((l) => l.options)).toEqual([{ port: 80 }]);
    device.onLine!('WebPassword');
    expect(device.consoleLines.at(-1)).toBe('{"WebPassword":""}');
    // no Wi-Fi in the build and none set on the page: the access point comes up for setup
    expect(device.accessPoints).toBe(1);
    // the HomeKit bridge starts with the Wi-Fi MAC (its Device ID and default setup code come from it)
    expect(device.homekit).toEqual([{ mac: 'a4:cf:12:34:56:78' }]);
  });
});
