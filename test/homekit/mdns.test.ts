// _hap._tcp on loopback: the Node MdnsAdvertiser (ciao) announces the bridge with the full
// TXT record, and a real HAP controller's discovery (hap-controller's IPDiscovery, bound to
// 127.0.0.1 as the reference found it must be in this container) sees it, then sees sf
// change when the TXT record is updated, and sees it go when it is withdrawn.
import crypto from 'node:crypto';
import { IPDiscovery } from 'hap-controller';
// @ts-expect-error dnssd (hap-controller's dependency) ships no typings
import dnssd from 'dnssd';
import { afterEach, describe, expect, it } from 'vitest';
import { setupHash } from '../../firmware/core/homekit/setup-code.js';
import { hapTxtRecord } from '../../firmware/core/homekit/txt-record.js';
import { createCiaoAdvertiser, type CiaoAdvertiser } from '../../host-sim/homekit/mdns.js';
import { runCleanups } from '../e2e/harness.js';
import { client, demoDataDir, startHomeKit, within } from './harness.js';

const sha512 = (data: Uint8Array) => Uint8Array.from(crypto.createHash('sha512').update(data).digest());
type Found = { name: string; port: number; 'c#': number; id: string; md: string; pv: string; 's#': number; sf: number; ci: number; availableToPair: boolean };

function waitFor(discovery: IPDiscovery, event: string, match: (s: Found) => boolean, ms = 15_000): Promise<Found> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const listener = (s: Found) => {
      if (!match(s)) return;
      clearTimeout(timer);
      discovery.off(event, listener);
      resolve(s);
    };
    discovery.on(event, listener);
  });
}

/**
 * The raw TXT record of the `_hap._tcp` instance `name`, through dnssd (the browser
 * hap-controller's IPDiscovery is built on; IPDiscovery itself leaves out `sh`).
 */
function txtOnTheWire(name: string, ms = 15_000): Promise<Record<string, string>> {
  const browser = new dnssd.Browser(new dnssd.ServiceType('_hap._tcp'), { interface: '127.0.0.1' });
  return new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no TXT record for ${name} within ${ms} ms`)), ms);
    browser.on('serviceUp', (service: { name: string; txt: Record<string, string> }) => {
      if (service.name !== name) return;
      clearTimeout(timer);
      resolve(service.txt);
    });
    browser.start();
  }).finally(() => browser.stop());
}

let advertiser: CiaoAdvertiser | undefined;
let discovery: IPDiscovery | undefined;
afterEach(async () => {
  await runCleanups();
  discovery?.stop();
  await advertiser?.shutdown();
  advertiser = undefined;
  discovery = undefined;
});

describe('mDNS on loopback', () => {
  it('a HAP controller discovers the bridge with its TXT record, sees sf go to 0 once paired, and sees it leave', async () => {
    const name = `MI32 Test ${crypto.randomBytes(3).toString('hex')}`;
    const deviceId = '1A:2B:3C:4D:5E:6F';
    const txt = hapTxtRecord({ configNumber: 7, deviceId, model: 'mi32-xs', paired: false, setupHash: setupHash('MI32', deviceId, sha512) });
    advertiser = createCiaoAdvertiser({ bind: '127.0.0.1' });
    discovery = new IPDiscovery('127.0.0.1');
    const up = waitFor(discovery, 'serviceUp', (s) => s.name === name);
    discovery.start();
    const ad = advertiser.advertise({ name, type: 'hap', protocol: 'tcp', port: 51999, txt });

    const found = await up;
    expect(found).toMatchObject({ port: 51999, 'c#': 7, id: deviceId, md: 'mi32-xs', pv: '1.1', 's#': 1, sf: 1, ci: 2, availableToPair: true });
    // Every key, `sh` included, as sent.
    expect(await txtOnTheWire(name)).toEqual(txt);

    const changed = waitFor(discovery, 'serviceChanged', (s) => s.name === name);
    ad.update({ ...txt, sf: '0', 'c#': '8' });
    expect(await changed).toMatchObject({ sf: 0, 'c#': 8, availableToPair: false });

    const down = waitFor(discovery, 'serviceDown', (s) => s.name === name);
    ad.stop();
    await down;
  }, 60_000);

  it('mi32 run --homekit is found by a HAP controller, unpaired (sf=1), and its advert says sf=0 once paired', async () => {
    discovery = new IPDiscovery('127.0.0.1');
    discovery.start();
    const hk = await startHomeKit(demoDataDir());
    const found = await waitFor(discovery, 'serviceUp', (s) => s.port === hk.port);
    expect(found).toMatchObject({ md: 'mi32-xs', pv: '1.1', sf: 1, ci: 2, ff: 0, availableToPair: true });
    expect(found.id).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/);
    expect(found['c#']).toBeGreaterThanOrEqual(1);

    const paired = waitFor(discovery, 'serviceChanged', (s) => s.port === hk.port && s.sf === 0);
    const controller = client(hk.port);
    await within('pair-setup', controller.pairSetup(hk.code!));
    expect(await paired).toMatchObject({ id: found.id, availableToPair: false });
    await controller.close();
  }, 90_000);
});
