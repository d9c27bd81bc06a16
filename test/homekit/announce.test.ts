// announceHap: the _hap._tcp advert follows the server's TXT record: announced once, re-sent
// only when a field changed (sf after pairing, c# after the accessory set changed), never
// after stop, and a handler the server already had keeps being called.
import { describe, expect, it } from 'vitest';
import { announceHap } from '../../firmware/core/homekit/announce.js';
import type { MdnsAdvertiser, MdnsService } from '../../firmware/core/host.js';

function fakeAdvertiser() {
  const events: string[] = [];
  const advertiser: MdnsAdvertiser = {
    advertise(service: MdnsService) {
      events.push(`advertise ${service.name} _${service.type}._${service.protocol}:${service.port} sf=${service.txt.sf} c#=${service.txt['c#']}`);
      return { update: (txt) => events.push(`update sf=${txt.sf} c#=${txt['c#']}`), stop: () => events.push('stop') };
    },
  };
  return { advertiser, events };
}

describe('announceHap', () => {
  it('announces the TXT record, re-announces changes only, and stops once', () => {
    const { advertiser, events } = fakeAdvertiser();
    let txt = { sf: '1', 'c#': '1', id: '1A:2B:3C:4D:5E:6F' };
    const calls: string[] = [];
    const server = { txtRecord: () => ({ ...txt }), onAdvertChange: (() => calls.push('previous')) as (() => void) | undefined };
    const announcement = announceHap(advertiser, server, 'MI32 Bridge', 51826);
    expect(events).toEqual(['advertise MI32 Bridge _hap._tcp:51826 sf=1 c#=1']);

    server.onAdvertChange!(); // nothing changed
    expect(events).toHaveLength(1);
    txt = { ...txt, sf: '0' };
    server.onAdvertChange!();
    txt = { ...txt, 'c#': '2' };
    server.onAdvertChange!();
    expect(events.slice(1)).toEqual(['update sf=0 c#=1', 'update sf=0 c#=2']);
    expect(calls).toEqual(['previous', 'previous', 'previous']);

    announcement.stop();
    announcement.stop();
    txt = { ...txt, sf: '1' };
    server.onAdvertChange!();
    expect(events.slice(3)).toEqual(['stop']);
  });
});
