// Tasmota's HTTP command endpoint, /cm?cmnd=<command>, beside the console and MQTT: the
// same command gets the same reply on all three paths (one dispatcher, app.command).

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayApp } from '../../firmware/core/gateway/app.js';
import { utf8Encode } from '../../firmware/core/mqtt/utf8.js';
import { createWebServer, type WebServer } from '../../firmware/core/web/web-server.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { nodeClock, nodeTcpServer } from '../../host-sim/net.js';
import { DirStore } from '../../host-sim/store.js';
import { FakeClock, FakeNet, FixedRandom } from '../mqtt/fakes.js';
import { silentLog } from '../helpers/gateway.js';

const servers: WebServer[] = [];
afterEach(() => { for (const s of servers.splice(0)) s.close(); });

async function setup() {
  const store = new DirStore(mkdtempSync(join(tmpdir(), 'mi32-cm-')));
  const net = new FakeNet();
  const printed: { topic: string; payload: string }[] = [];
  const consoleLines: string[] = [];
  let web: WebServer | undefined;
  const app = createGatewayApp({
    clock: new FakeClock(), store, log: silentLog, aes: createNodeAes(), net, random: new FixedRandom(3),
    console: (l) => consoleLines.push(l), published: (topic, payload) => printed.push({ topic, payload }),
    hostCommand: (line, argument) => web?.hostCommand(line, argument),
  }, { settings: { topic: 'home' }, broker: () => ({ host: 'broker.lan', port: 1883 }) });
  web = createWebServer(app, { tcp: nodeTcpServer, clock: nodeClock, gatewayClock: new FakeClock(), store, log: silentLog, aes: createNodeAes() });
  servers.push(web);
  app.start();
  app.connect();
  net.last.open();
  const port = await new Promise<number>((resolve, reject) => web!.listen('127.0.0.1', 0, (e, p) => (e ? reject(e) : resolve(p))));
  const viaCm = async (line: string) => (await (await fetch(`http://127.0.0.1:${port}/cm?cmnd=${encodeURIComponent(line)}`)).json()) as Record<string, unknown>;
  const viaMqtt = (command: string, payload: string) => {
    const before = printed.length;
    net.last.send({ type: 'publish', topic: `cmnd/home/${command}`, payload: utf8Encode(payload), qos: 0, retain: false, dup: false });
    const reply = printed.slice(before).find((m) => m.topic.startsWith('stat/home/'));
    return reply ? JSON.parse(reply.payload) as Record<string, unknown> : undefined;
  };
  const viaConsole = (line: string) => JSON.parse(JSON.stringify(app.command(line, 'console'))) as Record<string, unknown>;
  return { viaCm, viaMqtt, viaConsole, printed };
}

describe('/cm?cmnd= answers as the console and MQTT do', () => {
  // [command, argument]: queries, changes, errors and a platform command (WebPassword's query)
  const cases: [string, string][] = [
    ['TelePeriod', ''], ['TelePeriod', '60'], ['MI32Option2', '1'], ['MI32Option9', '1'], ['Topic', 'bad/topic'],
    ['MI32Key', '0123456789ABCDEFFEDCBA9876543210A4C138112233'], ['MI32Key', 'zz'], ['Timezone', '+01:00'], ['Status', '8'], ['NoSuchCommand', ''],
    ['MI32Cfg', ''], ['WebPassword', ''], ['ScriptRemote', ''],
  ];

  it.each(cases)('%s %s', async (command, argument) => {
    const { viaCm, viaMqtt, viaConsole } = await setup();
    const line = argument ? `${command} ${argument}` : command;
    const fromConsole = viaConsole(line);
    const fromMqtt = viaMqtt(command, argument);
    const fromCm = await viaCm(line);
    // Status carries uptime and the time: the same clock on all three paths, so equal too.
    expect(fromCm).toEqual(fromConsole);
    expect(fromMqtt).toEqual(fromConsole);
  });

  it('a /cm command is published on stat/<topic>/RESULT as a console one is', async () => {
    const { viaCm, printed } = await setup();
    await viaCm('MI32Option0 0');
    expect(printed.filter((m) => m.topic === 'stat/home/RESULT').map((m) => m.payload)).toContain('{"MI32Option0":0}');
  });
});
