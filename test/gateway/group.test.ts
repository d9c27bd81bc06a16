// MI32Group: the ownership rule on its own, then three gateways on an in-memory broker
// with retained messages (the real broker runs in test/e2e/group.test.ts): each device is
// reported by exactly one, another takes over when its LWT goes Offline, RSSIs within the
// hysteresis do not move a device, and peers' bad messages change nothing.
import { describe, expect, it } from 'vitest';
import { Gateway, type MqttPort } from '../../firmware/core/gateway/gateway.js';
import { HYSTERESIS_DB, ownerOf, type GatewayReport } from '../../firmware/core/gateway/group-rule.js';
import { parseHeard } from '../../firmware/core/gateway/group.js';
import { utf8Decode, utf8Encode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { FakeClock } from '../mqtt/fakes.js';
import { MemoryStore, recordingLog } from '../helpers/gateway.js';
import { atcAd } from '../e2e/harness.js';

const report = (name: string, heard: Record<string, number>, own: string[] = []): GatewayReport =>
  ({ name, heard: new Map(Object.entries(heard)), own: new Set(own) });

describe('the ownership rule', () => {
  const D = 'A4C138000001';
  it('the gateway that hears a device best reports it; a tie goes to the lower name', () => {
    expect(ownerOf(D, [report('b', { [D]: -70 }), report('a', { [D]: -80 }), report('c', { [D]: -60 })])).toBe('c');
    expect(ownerOf(D, [report('b', { [D]: -70 }), report('a', { [D]: -70 })])).toBe('a');
    expect(ownerOf(D, [report('b', {}), report('a', { A4C138000002: -50 })])).toBeUndefined();
  });

  it('the gateway reporting a device keeps it until another hears it more than the hysteresis better', () => {
    expect(HYSTERESIS_DB).toBe(6);
    const at = (mine: number, theirs: number) => ownerOf(D, [report('a', { [D]: mine }, [D]), report('b', { [D]: theirs })]);
    expect(at(-70, -64)).toBe('a'); // 6 dB better: not enough
    expect(at(-70, -63)).toBe('b'); // 7 dB better: moves
    // A gateway that no longer hears the device is no candidate, whatever it claims.
    expect(ownerOf(D, [report('a', {}, []), report('b', { [D]: -90 })])).toBe('b');
  });

  it('does not flap: RSSIs moving within the hysteresis, period after period, leave the device where it is', () => {
    let owner = 'a';
    const swings = [-66, -74, -65, -75, -67, -72, -64, -70];
    for (const theirs of swings) {
      owner = ownerOf(D, [report('a', { [D]: -70 }, owner === 'a' ? [D] : []), report('b', { [D]: theirs }, owner === 'b' ? [D] : [])])!;
      expect(owner).toBe('a');
    }
  });

  it('two claimants (after a split): the better one keeps it, the same on every gateway', () => {
    const live = [report('a', { [D]: -72 }, [D]), report('b', { [D]: -70 }, [D]), report('c', { [D]: -69 })];
    expect(ownerOf(D, live)).toBe('b');
    expect(ownerOf(D, [...live].reverse())).toBe('b');
  });
});

// --- gateways on an in-memory broker ------------------------------------------------

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** A broker in memory: retained messages (an empty one deletes), delivery to every matching subscriber. */
class Bus {
  retained = new Map<string, string>();
  log: { from: string; topic: string; payload: string }[] = [];
  private subs: { owner: string; filter: string; handler: (t: string, p: string) => void }[] = [];

  port(owner: string): MqttPort {
    return {
      publish: (topic, payload, o) => this.publish(owner, topic, payload, o?.retain === true),
      subscribe: (filter, handler) => {
        this.subs.push({ owner, filter, handler });
        for (const [topic, payload] of this.retained) if (matches(filter, topic)) handler(topic, payload);
      },
      unsubscribe: (filter) => { this.subs = this.subs.filter((s) => !(s.owner === owner && s.filter === filter)); },
      dropped: () => 0,
    };
  }

  publish(from: string, topic: string, payload: string, retain: boolean): void {
    this.log.push({ from, topic, payload });
    if (retain) {
      if (payload === '') this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    for (const s of [...this.subs]) if (matches(s.filter, topic)) s.handler(topic, payload);
  }

  /** The client went away: its subscriptions end and the broker publishes its Will. */
  drop(owner: string, will: { topic: string; payload: string }): void {
    this.subs = this.subs.filter((s) => s.owner !== owner);
    this.publish('broker', will.topic, will.payload, true);
  }

  /** Device names in each gateway's SENSOR messages since `from`. */
  reported(topic: string, from = 0): Set<string> {
    const names = new Set<string>();
    for (const m of this.log.slice(from)) {
      if (m.topic !== `tele/${topic}/SENSOR`) continue;
      for (const [k, v] of Object.entries(JSON.parse(m.payload) as Record<string, unknown>)) if (v && typeof v === 'object') names.add(k);
    }
    return names;
  }
}

const DEVICES = ['A4C138000001', 'A4C138000002', 'A4C138000003'];
const NAMES = DEVICES.map((m) => `ATC-${m.slice(6).toLowerCase()}`);

function home(offsets: number[]) {
  const clock = new FakeClock();
  const bus = new Bus();
  const lines: string[] = [];
  const gateways = offsets.map((offset, i) => {
    const topic = `gw${i + 1}`;
    const store = new MemoryStore();
    const gw = new Gateway({ clock, store, log: recordingLog(lines), aes: createNodeAes() }, { topic, telePeriod: 10 });
    gw.start();
    gw.attachMqtt(bus.port(topic));
    gw.mqttConnected();
    return { gw, topic, offset, store };
  });
  let counter = 0;
  /** One advertisement of each device, heard by every running gateway at its offset (plus `extra` per gateway). */
  const air = (base = -60, extra: number[] = []) => {
    counter++;
    DEVICES.forEach((mac, d) => {
      const ad = Uint8Array.from(Buffer.from(atcAd(mac, 21 + d, 40, 90, counter), 'hex'));
      gateways.forEach((g, i) => { if (g.gw.topic && !stopped.has(g.topic)) g.gw.handleAdvertisement({ mac, rssi: base - 3 * d + g.offset + (extra[i] ?? 0), ad, addrType: 0 }); });
    });
  };
  const stopped = new Set<string>();
  /** Advertisements every second for `seconds`. */
  const run = (seconds: number, extra: number[] = []) => {
    for (let s = 0; s < seconds; s++) {
      air(-60, extra);
      clock.advance(1000);
    }
  };
  const stop = (i: number) => {
    const g = gateways[i]!;
    g.gw.stop();
    stopped.add(g.topic);
    bus.drop(g.topic, g.gw.will());
  };
  return { clock, bus, gateways, air, run, stop, lines };
}

describe('MI32Group: gateways on one broker', () => {
  it('with no group, every gateway reports every device (nothing changes)', () => {
    const h = home([0, -10]);
    h.run(25);
    expect(h.bus.reported('gw1')).toEqual(new Set(NAMES));
    expect(h.bus.reported('gw2')).toEqual(new Set(NAMES));
    expect([...h.bus.retained.keys()].filter((t) => t.endsWith('/HEARD'))).toEqual([]);
  });

  it('each device is reported by exactly one gateway: the one that hears it best', () => {
    const h = home([0, -10, -20]);
    for (const g of h.gateways) expect(g.gw.command('MI32Group home', 'mqtt')).toMatchObject({ MI32Group: 'home', Gateway: g.topic });
    h.run(25); // two teleperiods: everyone has published HEARD once
    const mark = h.bus.log.length;
    h.run(30);
    expect(h.bus.reported('gw1', mark)).toEqual(new Set(NAMES));
    expect(h.bus.reported('gw2', mark)).toEqual(new Set());
    expect(h.bus.reported('gw3', mark)).toEqual(new Set());
    const heard = JSON.parse(h.bus.retained.get('tele/home/gw2/HEARD')!);
    expect(heard.RSSI).toEqual({ A4C138000001: -70, A4C138000002: -73, A4C138000003: -76 });
    expect(heard.Own).toEqual([]);
    expect(JSON.parse(h.bus.retained.get('tele/home/gw1/HEARD')!).Own).toEqual(DEVICES);
    expect(h.gateways[1]!.gw.command('MI32Group', 'console')).toMatchObject({ Members: { gw1: 'Online', gw3: 'Online' }, Reported: 0, Silent: 3 });
  });

  it('when the reporting gateway goes offline (its LWT), the next best takes over within a teleperiod', () => {
    const h = home([0, -10, -20]);
    for (const g of h.gateways) g.gw.command('MI32Group home', 'console');
    h.run(40);
    h.stop(0); // gw1's connection drops: the broker publishes its Will, "Offline"
    const mark = h.bus.log.length;
    h.run(10); // one teleperiod
    expect(h.bus.reported('gw2', mark)).toEqual(new Set(NAMES));
    expect(h.bus.reported('gw3', mark)).toEqual(new Set());
    h.run(20);
    expect(JSON.parse(h.bus.retained.get('tele/home/gw2/HEARD')!).Own).toEqual(DEVICES);
  });

  it('a gateway coming back takes its devices back only by the rule (it hears them 10 dB better)', () => {
    const h = home([0, -10]);
    for (const g of h.gateways) g.gw.command('MI32Group home', 'console');
    h.run(30);
    h.bus.drop('gw1', h.gateways[0]!.gw.will());
    h.run(20);
    expect(JSON.parse(h.bus.retained.get('tele/home/gw2/HEARD')!).Own).toEqual(DEVICES);
    h.bus.publish('broker', 'tele/gw1/LWT', 'Online', true); // gw1 reconnects (its subscriptions were never dropped here)
    h.run(30);
    const mark = h.bus.log.length;
    h.run(20);
    expect(h.bus.reported('gw1', mark)).toEqual(new Set(NAMES));
    expect(h.bus.reported('gw2', mark)).toEqual(new Set());
  });

  it('a new device brings the next HEARD round forward: with TelePeriod 300 the split is settled in seconds, not minutes', () => {
    const h = home([0, -10]);
    for (const g of h.gateways) {
      g.gw.command('TelePeriod 300', 'console');
      g.gw.command('MI32Option2 1', 'console'); // a SENSOR for every change: real-time traffic to split
      g.gw.command('MI32Group home', 'console');
    }
    h.run(25);
    expect(JSON.parse(h.bus.retained.get('tele/home/gw1/HEARD')!).Own).toEqual(DEVICES);
    expect(JSON.parse(h.bus.retained.get('tele/home/gw2/HEARD')!).Own).toEqual([]);
    const mark = h.bus.log.length;
    h.run(20);
    expect(h.bus.reported('gw1', mark)).toEqual(new Set(NAMES));
    expect(h.bus.reported('gw2', mark)).toEqual(new Set());
  });

  it('no flapping: a second gateway that hears the devices up to 6 dB better, by turns, takes nothing', () => {
    const h = home([0, 0]);
    h.gateways[0]!.gw.command('MI32Group home', 'console');
    h.run(15, [0, -20]); // gw1 alone first: it claims them
    h.gateways[1]!.gw.command('MI32Group home', 'console');
    const mark = h.bus.log.length;
    for (let round = 0; round < 6; round++) h.run(10, [0, round % 2 === 0 ? 5 : -5]);
    expect(h.bus.reported('gw2', mark)).toEqual(new Set());
    expect(h.bus.reported('gw1', mark)).toEqual(new Set(NAMES));
    // 15 dB better for good: it moves.
    h.run(30, [0, 15]);
    const later = h.bus.log.length;
    h.run(20, [0, 15]);
    expect(h.bus.reported('gw2', later)).toEqual(new Set(NAMES));
    expect(h.bus.reported('gw1', later)).toEqual(new Set());
  });

  it('MI32Group persists; MI32Group 0 leaves (its HEARD is removed) and bad names change nothing', () => {
    const h = home([0]);
    const g = h.gateways[0]!;
    g.gw.command('MI32Group home', 'console');
    h.run(12);
    expect(h.bus.retained.has('tele/home/gw1/HEARD')).toBe(true);
    expect(JSON.parse(utf8Decode(g.store.read('settings.json')!)).group).toBe('home');
    for (const bad of ['a/b', 'a+b', '#', 'x'.repeat(33), 'sp ace']) {
      const reply = g.gw.command(`MI32Group ${bad}`, 'mqtt');
      expect(reply.MI32Group, bad).toBe('Error');
    }
    expect(g.gw.group.name).toBe('home');
    const again = new Gateway({ clock: h.clock, store: g.store, log: recordingLog([]), aes: createNodeAes() }, { topic: 'gw1' });
    again.start();
    expect(again.group.name).toBe('home');
    again.stop();
    expect(g.gw.command('MI32Group 0', 'console')).toEqual({ MI32Group: '' });
    expect(h.bus.retained.has('tele/home/gw1/HEARD')).toBe(false);
    expect(JSON.parse(utf8Decode(g.store.read('settings.json')!)).group).toBeUndefined();
  });

  it("peers' bad HEARD messages are logged and ignored; the last good one stays", () => {
    const h = home([0, -10]);
    for (const g of h.gateways) g.gw.command('MI32Group home', 'console');
    h.run(30);
    const good = h.bus.retained.get('tele/home/gw1/HEARD')!;
    const bad = ['{', '[]', '{"RSSI":[],"Own":[]}', '{"RSSI":{"zz":-50},"Own":[]}', '{"RSSI":{"A4C138000001":-500},"Own":[]}',
      '{"RSSI":{"A4C138000001":-50},"Own":["A4C138000002"]}', 'x'.repeat(20_000)];
    for (const payload of bad) h.bus.publish('attacker', 'tele/home/gw1/HEARD', payload, false);
    expect(h.lines.filter((l) => /HEARD of "gw1" ignored/.test(l))).toHaveLength(bad.length);
    h.bus.publish('attacker', 'tele/home/gw1/HEARD', good, false);
    const mark = h.bus.log.length;
    h.run(10);
    expect(h.bus.reported('gw2', mark)).toEqual(new Set());
    // A 17th member is refused.
    for (let i = 0; i < 20; i++) h.bus.publish('x', `tele/home/fake${i}/HEARD`, '{"RSSI":{},"Own":[]}', true);
    expect(h.lines.some((l) => /more than 16 gateways/.test(l))).toBe(true);
  });

  it('a bad group in settings.json is reported and no group is joined', () => {
    const store = new MemoryStore();
    store.write('settings.json', utf8Encode(JSON.stringify({ group: 'a/b' })));
    const lines: string[] = [];
    const gw = new Gateway({ clock: new FakeClock(), store, log: recordingLog(lines), aes: createNodeAes() }, { topic: 't' });
    gw.start();
    expect(gw.group.name).toBeUndefined();
    expect(lines.some((l) => /settings\.json: group must not contain/.test(l))).toBe(true);
  });

  it('parseHeard reads what a gateway publishes', () => {
    expect(parseHeard('g', '{"Time":"x","RSSI":{"A4C138000001":-61},"Own":["A4C138000001"]}')).toEqual(report('g', { A4C138000001: -61 }, ['A4C138000001']));
  });
});
