// Issue 10 point 9: bind keys and broker passwords are never published or logged
// (a reply shows at most a key's last 4 hex digits).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBrokerUrl, redactUrl } from '../../firmware/core/mqtt/options.js';
import { gatewayOn, tempDir } from './setup.js';

const KEY = '0123456789ABCDEFFEDCBA9876543210';
const MAC = 'A4C138112233';
const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));

function leaks(texts: string[]): string[] {
  return texts.filter((t) => t.toUpperCase().includes(KEY) || t.toUpperCase().includes(KEY.slice(0, 16)));
}

describe('MI32Key', () => {
  for (const source of ['console', 'mqtt', 'http', 'script'] as const) {
    it(`over ${source}: the reply carries only the key's last 4 digits; RESULT, console and log never the key`, () => {
      const { gw, mqtt, logLines, consoleLines } = gatewayOn(tempDir());
      const reply = source === 'mqtt'
        ? (mqtt.deliver('cmnd/mi32/MI32Key', KEY + MAC), JSON.parse(mqtt.on('stat/mi32/RESULT').at(-1)!))
        : gw.command(`MI32Key ${KEY}${MAC}`, source);
      expect(reply).toMatchObject({ MI32Key: 'Done', MAC, Key: '...3210' });
      expect(gw.registry.keyOf(MAC)).toBeDefined();
      expect(leaks([...mqtt.sent.map((m) => m.payload), ...logLines, ...consoleLines])).toEqual([]);
    });
  }
});

describe('broker URL with a password', () => {
  const url = 'mqtt://gateway:s3cr3t-pw@broker.local:notaport';

  it('a malformed URL: the error message hides the password', () => {
    let message = '';
    try {
      parseBrokerUrl(url);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/broker URL "mqtt:\/\/gateway:\*\*\*@broker\.local:notaport"/);
    expect(message).not.toContain('s3cr3t');
  });

  it.each([
    ['mqtt://u:p@host:1883', 'mqtt://u:***@host:1883'],
    ['mqtt://u:pa/ss@host', 'mqtt://u:***@host'],
    ['mqtt://u:p@ss@host', 'mqtt://u:***@host'],
    ['mqtt://host:1883', 'mqtt://host:1883'],
  ])('redactUrl(%s) = %s', (input, output) => {
    expect(redactUrl(input)).toBe(output);
  });

  it('mi32 run --broker with a malformed URL: one line on stderr, no password, no stack trace, exit 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'run', '--broker', url, '--data', tempDir()], { encoding: 'utf8', input: '', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain('s3cr3t');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.split('\n')[0]).toMatch(/^mi32 run: --broker: broker URL "mqtt:\/\/gateway:\*\*\*@broker\.local:notaport"/);
  });
});
