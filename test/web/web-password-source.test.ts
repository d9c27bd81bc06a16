// WebPassword over MQTT or from a script: read, never changed (anyone on the broker could
// otherwise turn the page's password off, or set one and lock the owner out).
import { describe, expect, it } from 'vitest';
import { WebPassword } from '../../firmware/core/web/auth.js';
import { MemoryStore, recordingLog } from '../helpers/gateway.js';

describe('WebPassword by source', () => {
  it('the console and /cm set it; MQTT and scripts only read it', () => {
    const store = new MemoryStore();
    const password = new WebPassword(store, recordingLog([]));
    expect(password.command('WebPassword s3cret', undefined, 'console')).toEqual({ WebPassword: '****' });
    for (const source of ['mqtt', 'script']) {
      expect(password.command('WebPassword', '0', source)).toEqual({ WebPassword: 'Error', Error: 'WebPassword can be changed only from the console or the web page' });
      expect(password.command('WebPassword other', undefined, source)!.WebPassword).toBe('Error');
      expect(password.command('WebPassword', undefined, source)).toEqual({ WebPassword: '****' });
    }
    expect(password.enabled).toBe(true);
    expect(new WebPassword(store, recordingLog([])).enabled).toBe(true);
    expect(password.command('WebPassword 0', undefined, 'http')).toEqual({ WebPassword: '' });
  });
});
