// `mi32 decode` as a user runs it: a real process, stdout/stderr and exit codes.
// Needs the build (npm test runs it first).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));

function mi32(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

// Tasmota reference §3.2 example: LYWSD03MMC, v5 encrypted, 21.5 °C / 48.0 %
const FRAME = '58585b054233221138c1a4b2dbdd0438238001000042277040';
const KEY = '0123456789ABCDEFFEDCBA9876543210';

describe('mi32 decode HEX', () => {
  it('prints the contract fields for an encrypted MiBeacon', () => {
    const r = mi32(['decode', FRAME, '--mac', 'A4:C1:38:11:22:33', '--key', KEY]);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({
      mac: 'A4C138112233', model: 'LYWSD03MMC', pid: '055b', format: 'mibeacon', encrypted: true,
      counter: 0x142, values: { Temperature: 21.5, Humidity: 48 }, name: 'LYWSD03-112233',
    });
    expect(Object.keys(r.lines[0]).slice(0, 7)).toEqual(['mac', 'model', 'pid', 'format', 'encrypted', 'counter', 'values']);
  });

  it('accepts the MI32Key form (key + MAC) instead of --mac/--key', () => {
    const r = mi32(['decode', FRAME, '--key', KEY + 'A4C138112233']);
    expect(r.lines[0]).toMatchObject({ mac: 'A4C138112233', values: { Temperature: 21.5 } });
  });

  it('reports a wrong key as an error line, exit code 0', () => {
    const r = mi32(['decode', FRAME, '--mac', 'A4C138112233', '--key', 'ffeeddccbbaa99887766554433221100']);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatchObject({ code: 'wrong-key' });
    expect(r.lines[0].error).toMatch(/tag does not verify/);
    expect(r.lines[0]).not.toHaveProperty('values');
  });

  it('decodes other formats by --uuid, and whole advertisements with --ad', () => {
    const atc = mi32(['decode', 'a4c138aabbcc00e63c5f0b8c12', '--uuid', '181a']);
    expect(atc.lines[0]).toMatchObject({ format: 'atc', mac: 'A4C138AABBCC', values: { Temperature: 23, Humidity: 60, Battery: 95 } });
    const ad = mi32(['decode', '--ad', '020106' + '1016' + '1a18' + 'a4c138aabbcc00e63c5f0b8c12']);
    expect(ad.lines[0]).toMatchObject({ format: 'atc', values: { Temperature: 23 } });
  });

  it('gives usage errors a non-zero exit and a message', () => {
    for (const args of [['decode'], ['decode', 'aa', 'bb'], ['decode', '--bogus', 'aa'], ['frobnicate']]) {
      const r = mi32(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage/);
    }
  });

  it('reports bad hex and bad MACs as error lines', () => {
    expect(mi32(['decode', 'xyz']).lines[0]).toMatchObject({ code: 'bad-input' });
    expect(mi32(['decode', '5020aa01', '--mac', '12:34']).lines[0].error).toMatch(/invalid MAC/);
  });
});

describe('mi32 decode --jsonl', () => {
  it('answers every line in order and goes on after bad ones', () => {
    const input = [
      JSON.stringify({ mac: 'A4C138112233', uuid: 'fe95', data: FRAME, key: KEY }),
      'this is not json',
      '',
      JSON.stringify({ mac: 'A4C138112233', data: FRAME }),
      JSON.stringify({ mac: 'A4C138112233', data: FRAME, key: 'ffeeddccbbaa99887766554433221100' }),
      JSON.stringify({ mac: '582D343B2EBF', uuid: 'fe95', data: '5020aa01a3bf2e3b342d580d1004b40095020a10013b' }),
      JSON.stringify({ mac: 'A4C138112233', uuid: 'abcd', data: '00' }),
      '[1,2]',
    ].join('\n');
    const r = mi32(['decode', '--jsonl'], input + '\n');
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => l.code ?? l.format)).toEqual(['mibeacon', 'bad-input', 'no-key', 'wrong-key', 'mibeacon', 'unknown-format', 'bad-input']);
    expect(r.lines[1].error).toMatch(/line 2: invalid JSON/);
    expect(r.lines[4]).toMatchObject({ model: 'LYWSDCGQ', values: { Temperature: 18, Humidity: 66.1, Battery: 59 } });
  });
});

// Frames pasted from logs often come without the sender's MAC (issue 12).
describe('mi32 decode without a MAC', () => {
  const PLAIN_WITH_MAC = '5020aa01a3bf2e3b342d580d1004b40095020a10013b'; // LYWSDCGQ, MAC in the frame

  it('decodes a plain MiBeacon that carries its MAC and takes the MAC from the frame', () => {
    const r = mi32(['decode', PLAIN_WITH_MAC]);
    expect(r.lines[0]).toMatchObject({ mac: '582D343B2EBF', model: 'LYWSDCGQ', values: { Temperature: 18 } });
  });

  it('decodes formats without a MAC field (scales, HHCCJCY10) and says mac null', () => {
    const scale = mi32(['decode', '229e43e507040b101301', '--uuid', '181d']).lines[0];
    expect(scale).toMatchObject({ mac: null, format: 'scale', values: { Weight: 86.55 } });
    const plainNoMac = mi32(['decode', '4050aa01a3' + '0d1004b4009502']).lines[0]; // plain MiBeacon, no MAC field
    expect(plainNoMac).toMatchObject({ mac: null, model: 'LYWSDCGQ', values: { Temperature: 18, Humidity: 66.1 } });
    const hhcc = mi32(['decode', '0e006e0134a428005b', '--uuid', 'fd50']).lines[0];
    expect(hhcc).toMatchObject({ mac: null, model: 'HHCCJCY10', values: { Moisture: 14 } });
  });

  it('asks for the MAC only where decryption needs it', () => {
    // the encrypted frame of the first test without its MAC field (FC bit 4 cleared)
    const r = mi32(['decode', '4858' + '5b05' + '42' + 'b2dbdd0438238001000042277040', '--key', KEY]);
    expect(r.lines[0].code).toBe('bad-input');
    expect(r.lines[0].error).toMatch(/give the sender MAC/);
  });

  it('--jsonl lines with "mac":null or no mac decode like the HEX argument', () => {
    const input = [
      JSON.stringify({ mac: null, uuid: 'fe95', data: PLAIN_WITH_MAC }),
      JSON.stringify({ uuid: '181a', data: 'a4c138aabbcc00e63c5f0b8c12' }),
      JSON.stringify({ mac: null, uuid: '181b', data: '0226b20705040f0201ac018642' }),
    ].join('\n');
    const lines = mi32(['decode', '--jsonl'], input + '\n').lines;
    expect(lines[0]).toMatchObject({ mac: '582D343B2EBF', values: { Humidity: 66.1 } });
    expect(lines[1]).toMatchObject({ mac: 'A4C138AABBCC', format: 'atc' });
    expect(lines[2]).toMatchObject({ mac: null, values: { Impedance: 428 } });
    for (const l of lines) expect(l.error).toBeUndefined();
  });
});
