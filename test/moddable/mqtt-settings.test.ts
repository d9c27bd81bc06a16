// MqttHost / MqttPort / MqttUser / MqttPassword on the device (firmware/moddable/mqtt-settings.ts):
// Tasmota's forms (no argument = show, 1 = build default, 0 = clear), persisted in mqtt.json,
// a change reconnects once, bad values and failed saves change nothing, the password is never shown.
import { describe, expect, it } from 'vitest';
import './fakes/xs-globals.js';
import { MqttSettings, type BrokerSettings } from '../../firmware/moddable/mqtt-settings.js';
import { MemoryStore, recordingLog } from '../helpers/gateway.js';
import { ReadOnlyStore } from '../security/setup.js';

const DEFAULTS: BrokerSettings = { host: 'broker.lan', port: 1883, user: 'mi32', password: 'build-secret', tls: false };

function settings(store = new MemoryStore()) {
  const lines: string[] = [];
  let changes = 0;
  const s = new MqttSettings(store, DEFAULTS, recordingLog(lines), () => changes++);
  return { s, store, lines, changes: () => changes };
}

describe('device broker settings', () => {
  it('shows, sets and persists each setting; a change reconnects once, the same value not at all', () => {
    const { s, store, changes } = settings();
    expect(s.handle('MqttHost')).toEqual({ MqttHost: 'broker.lan' });
    expect(s.handle('MqttHost 192.168.1.10')).toEqual({ MqttHost: '192.168.1.10' });
    expect(s.handle('mqttport', '8883')).toEqual({ MqttPort: 8883 }); // from MQTT: command and payload apart
    expect(s.handle('MqttPort 8883')).toEqual({ MqttPort: 8883 });
    expect(changes()).toBe(2);
    const again = settings(store).s; // a restart reads mqtt.json back
    expect(again.settings).toEqual({ ...DEFAULTS, host: '192.168.1.10', port: 8883 });
  });

  it('1 restores the build default, 0 clears (not the port)', () => {
    const { s } = settings();
    s.handle('MqttUser alice');
    expect(s.handle('MqttUser 1')).toEqual({ MqttUser: 'mi32' });
    expect(s.handle('MqttUser 0')).toEqual({ MqttUser: '' });
    expect(s.handle('MqttPort 0')).toEqual({ MqttPort: 'Error', Error: 'port must be 2-65535 (1 = default), got "0"' });
  });

  it('never shows the password', () => {
    const { s } = settings();
    expect(s.handle('MqttPassword')).toEqual({ MqttPassword: '****' });
    expect(JSON.stringify(s.handle('MqttPassword hunter2'))).not.toContain('hunter2');
    expect(s.handle('MqttPassword 0')).toEqual({ MqttPassword: '' });
  });

  it('refuses malformed values and changes nothing', () => {
    const { s, store, changes } = settings();
    for (const line of ['MqttHost bad host', 'MqttHost evil\u0000host', 'MqttPort 70000', 'MqttPort 12ab', `MqttUser ${'u'.repeat(65)}`, 'MqttPassword two words']) {
      const reply = s.handle(line)!;
      expect(Object.values(reply)[0], line).toBe('Error');
    }
    expect(s.settings).toEqual(DEFAULTS);
    expect(store.exists('mqtt.json')).toBe(false);
    expect(changes()).toBe(0);
  });

  it('is not ours: other commands fall through', () => {
    expect(settings().s.handle('TelePeriod 10')).toBeUndefined();
  });

  it('a failed save (read-only or full flash) is an error reply and keeps the old settings', () => {
    const { s, changes } = settings(new ReadOnlyStore(new MemoryStore()) as unknown as MemoryStore);
    const reply = s.handle('MqttHost other.lan')!;
    expect(reply.MqttHost).toBe('Error');
    expect(String(reply.Error)).toMatch(/read-only/);
    expect(s.settings.host).toBe('broker.lan');
    expect(changes()).toBe(0);
  });

  it('a hostile mqtt.json at start: values that would not pass the commands are not used', () => {
    const store = new MemoryStore();
    store.write('mqtt.json', new TextEncoder().encode(JSON.stringify({ host: 'evil\u0000host', port: 0, user: 'a b', password: 'x'.repeat(65) })));
    const first = settings(store);
    expect(first.s.settings).toEqual(DEFAULTS);
    expect(first.lines.filter((l) => l.startsWith('warn mqtt.json: invalid'))).toHaveLength(4); // each reported
    expect(first.lines.join('\n')).not.toContain('xxxx');
    store.write('mqtt.json', new Uint8Array([0x7b, 0xff, 0xfe])); // not UTF-8
    const { s, lines } = settings(store);
    expect(s.settings).toEqual(DEFAULTS);
    expect(lines.join('\n')).toMatch(/mqtt\.json/); // reported
    expect(store.exists('mqtt.json')).toBe(false); // kept aside, not read again

  });

  it('MqttTls 0|1 sets TLS, saved with the rest; a bad value changes nothing', () => {
    const { s, store, changes } = settings();
    expect(s.handle('MqttTls')).toEqual({ MqttTls: 0 });
    expect(s.handle('MqttTls 2')).toEqual({ MqttTls: 'Error', Error: 'MqttTls takes 0 (plain) or 1 (TLS), got "2"' });
    expect(s.handle('MqttTls 1')).toEqual({ MqttTls: 1 });
    expect(changes()).toBe(1);
    expect(settings(store).s.settings.tls).toBe(true);
  });

  it('only what was set is saved: a field never set follows a new default', () => {
    const { s, store } = settings();
    s.handle('MqttUser alice');
    expect(JSON.parse(new TextDecoder().decode(store.read('mqtt.json')!))).toEqual({ user: 'alice' });
    const lines: string[] = [];
    const rebuilt = new MqttSettings(store, { ...DEFAULTS, host: 'new.lan' }, recordingLog(lines), () => {});
    expect(rebuilt.settings).toEqual({ ...DEFAULTS, host: 'new.lan', user: 'alice' });
  });

  it('the page form: all fields checked before any is saved, one reconnect, an empty password keeps it', () => {
    const { s, store, changes } = settings();
    expect(s.update({ host: 'ok.lan', port: '70000' })).toMatch(/port must be 2-65535/);
    expect(s.update({ host: 'bad host', port: '1884' })).toMatch(/host must be/);
    expect(s.update({ host: 'ok.lan', password: 'two words' })).toMatch(/password must be/);
    expect(JSON.stringify(s.update({ password: 'two words' }))).not.toContain('two words');
    expect(store.exists('mqtt.json')).toBe(false);
    expect(changes()).toBe(0);
    expect(s.update({ host: 'ok.lan', port: '1884', user: 'bob', password: '', tls: true })).toBeUndefined();
    expect(changes()).toBe(1);
    expect(s.settings).toEqual({ host: 'ok.lan', port: 1884, user: 'bob', password: 'build-secret', tls: true });
    expect(s.view()).toEqual({ host: 'ok.lan', port: 1884, user: 'bob', passwordSet: true, tls: true, editable: true });
    expect(s.update({ host: 'ok.lan', port: '1884' })).toBeUndefined(); // nothing new: no reconnect
    expect(changes()).toBe(1);
  });

  it('over MQTT or from a script the broker settings are read, never changed (nobody on the broker redirects the gateway and its password)', () => {
    const { s, store, changes } = settings();
    expect(s.handle('MqttHost', undefined, 'mqtt')).toEqual({ MqttHost: 'broker.lan' });
    for (const [command, argument] of [['MqttHost', 'evil.example'], ['MqttPort', '1884'], ['MqttUser', 'eve'], ['MqttPassword', 'x'], ['MqttTls', '0']]) {
      expect(s.handle(command!, argument, 'mqtt')).toEqual({ [command!]: 'Error', Error: `${command} can be changed only from the console or the web page` });
      expect(s.handle(`${command} ${argument}`, undefined, 'script')![command!]).toBe('Error');
    }
    expect(s.settings).toEqual(DEFAULTS);
    expect(store.exists('mqtt.json')).toBe(false);
    expect(changes()).toBe(0);
    expect(s.handle('MqttHost other.lan', undefined, 'http')).toEqual({ MqttHost: 'other.lan' }); // /cm is behind the web password
  });
});
