// The upload's pieces on their own: the bounded reading buffer, the seed-shaped body, the
// dataType table and the URL check.
import { describe, expect, it } from 'vitest';
import { batchBody, ReadingBuffer } from '../../firmware/core/upload/batch.js';
import { dataTypeOf } from '../../firmware/core/upload/data-types.js';
import { parseUploadUrl, shownUrl } from '../../firmware/core/upload/url.js';
import { DeviceList, MAX_APPROVED } from '../../firmware/core/manage/device-list.js';
import { MemoryStore } from '../helpers/gateway.js';

describe('ReadingBuffer', () => {
  it('drops the oldest past maxReadings and counts it', () => {
    const b = new ReadingBuffer({ keepMs: 180_000, maxReadings: 3 });
    for (let i = 0; i < 5; i++) b.add('d', i * 1000, { Temperature: i });
    expect(b.size).toBe(3);
    expect(b.dropped).toBe(2);
    expect(b.snapshot().map((r) => r.values.Temperature)).toEqual([2, 3, 4]);
  });

  it('prunes what is older than keepMs; sentUpTo removes exactly what a post carried', () => {
    const b = new ReadingBuffer({ keepMs: 10_000, maxReadings: 100 });
    for (let i = 0; i < 5; i++) b.add('d', i * 5000, { Battery: i });
    expect(b.prune(22_000)).toBe(3); // 0, 5 and 10 s are older than 12 s
    const carried = b.snapshot();
    b.add('d', 30_000, { Battery: 9 }); // arrives while the post is out
    b.sentUpTo(carried.at(-1)!.seq);
    expect(b.snapshot().map((r) => r.values.Battery)).toEqual([9]);
    expect(b.dropped).toBe(3);
  });

  it('ignores a reading without values', () => {
    const b = new ReadingBuffer({ keepMs: 1000, maxReadings: 10 });
    b.add('d', 0, {});
    expect(b.size).toBe(0);
  });
});

describe('batchBody', () => {
  it('groups by device and dataType, in time order, with string timestamps (s) and values', () => {
    const b = new ReadingBuffer({ keepMs: 1e9, maxReadings: 100 });
    b.add('a', 1_642_694_304_000, { Temperature: 21.5, Humidity: 48 });
    b.add('b', 1_642_694_305_000, { Battery: 22 });
    b.add('a', 1_642_694_364_900, { Temperature: 21.6, 'PM2.5': 3 });
    expect(batchBody(b.snapshot())).toEqual({ data: [
      { iotDeviceId: 'a', dataType: 'temperature', data: [{ timestamp: '1642694304', data: { celsius: '21.5' } }, { timestamp: '1642694364', data: { celsius: '21.6' } }] },
      { iotDeviceId: 'a', dataType: 'humidity', data: [{ timestamp: '1642694304', data: { percent: '48' } }] },
      { iotDeviceId: 'b', dataType: 'battery_level', data: [{ timestamp: '1642694305', data: { level: '22' } }] },
      { iotDeviceId: 'a', dataType: 'pm2_5', data: [{ timestamp: '1642694364', data: { value: '3' } }] },
    ] });
  });

  it('names values the table does not know in snake_case', () => {
    expect(dataTypeOf('DoorLeftOpen')).toEqual(['door_left_open', 'value']);
    expect(dataTypeOf('NMT')).toEqual(['nmt', 'value']);
  });
});

describe('upload URL', () => {
  it.each([
    ['https://iot.example.com/api', { host: 'iot.example.com', port: 443, path: '/api' }],
    ['https://10.0.0.5:8443', { host: '10.0.0.5', port: 8443, path: '/' }],
    ['HTTPS://localhost:9/x?key=1', { host: 'localhost', port: 9, path: '/x?key=1' }],
  ])('%s is taken', (text, url) => expect(parseUploadUrl(text)).toEqual(url));

  it.each([
    ['http://iot.example.com/', /only https/],
    ['https://u:p@iot.example.com/', /no user or password/],
    ['https://iot.example.com:70000/', /port 70000/],
    ['https://[::1]/', /bad host/],
    ['ftp//x', /expected https/],
    ['https://a.example.com/\u0000', /control characters/],
    ['https://a.example.com/' + 'x'.repeat(300), /over 256/],
  ])('%s is refused', (text, message) => expect(parseUploadUrl(text)).toMatch(message));

  it('is shown without its query', () => {
    expect(shownUrl(parseUploadUrl('https://h.example.com/p?token=1') as never)).toBe('https://h.example.com/p?…');
  });
});

describe('DeviceList', () => {
  it(`holds at most ${MAX_APPROVED} approved devices`, () => {
    const list = new DeviceList(new MemoryStore());
    for (let i = 0; i < MAX_APPROVED; i++) list.approve(`A4C138${i.toString(16).padStart(6, '0').toUpperCase()}`, undefined);
    expect(() => list.approve('A4C138FFFFFF', undefined)).toThrow(/at most 64/);
    list.approve('A4C138000001', 'renamed'); // an approved one can still change
    expect(list.approved.get('A4C138000001')!.id).toBe('renamed');
  });
});
