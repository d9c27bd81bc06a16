// MQTT publish throughput: our client (compiled, from dist/) beside MQTT.js, both against
// the same embedded aedes broker in the same run. A message counts once the broker has
// taken it (aedes 'publish' event) and, for QoS 1, once its PUBACK is back at the client.
// Prints one JSON line per figure. Run `npm run build` first.

import { once } from 'node:events';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';

const dist = new URL('../../dist/', import.meta.url);
let MqttClient, nodeNet, nodeClock, nodeRandom;
try {
  ({ MqttClient } = await import(new URL('firmware/core/mqtt/client.js', dist)));
  ({ nodeNet, nodeClock, nodeRandom } = await import(new URL('host-sim/net.js', dist)));
} catch (error) {
  console.error(`bench/mqtt: cannot load the compiled client from dist/ (${error.message}); run \`npm run build\` first`);
  process.exit(1);
}

const COUNTS = { 0: 50_000, 1: 20_000 };
const TOPIC = 'tele/mi32-bench/SENSOR';
// A typical Tasmota MI32 SENSOR payload.
const PAYLOAD = '{"Time":"2024-05-01T12:00:00","LYWSD03-a1b2c3":{"mac":"a4c138a1b2c3","Temperature":21.5,"Humidity":48.2,"DewPoint":10.2,"Battery":87,"RSSI":-71}}';
const MAX_INFLIGHT = 64;
/** Publishes outstanding at once, for both clients: below Node's default of 10 listeners per event. */
const WINDOW = 8;

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address();
const url = `mqtt://127.0.0.1:${port}`;

/** Resolves when the broker has taken `count` PUBLISH packets from `clientId`. */
function brokerReceives(clientId, count) {
  return new Promise((resolve) => {
    let seen = 0;
    const onPublish = (_packet, client) => {
      if (client?.id !== clientId || ++seen < count) return;
      broker.off('publish', onPublish);
      resolve();
    };
    broker.on('publish', onPublish);
  });
}

/**
 * Both clients share the publish(topic, payload, {qos}, callback) shape. Each is driven as
 * its docs say a caller should: the callback means "written" (QoS 0) or "acknowledged"
 * (QoS 1), and the next publish waits for one, so at most WINDOW are outstanding. Firing
 * all `count` at once made MQTT.js park one 'drain' listener per publish on its full
 * socket (MaxListenersExceededWarning: 1001 drain listeners), which measured that pile-up,
 * not the client.
 */
function publishAll(client, qos, count) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    let pumping = false;
    // A loop, not recursion: a callback may come back synchronously (ours, when it writes at once).
    const pump = () => {
      if (pumping) return;
      pumping = true;
      while (sent < count && sent - done < WINDOW) {
        sent++;
        client.publish(TOPIC, PAYLOAD, { qos }, callback);
      }
      pumping = false;
    };
    const callback = (error) => {
      if (error) return reject(error);
      if (++done === count) resolve();
      else pump();
    };
    pump();
  });
}

const ours = {
  name: 'mi32-xs',
  async connect(clientId) {
    const client = new MqttClient({ net: nodeNet, clock: nodeClock, random: nodeRandom }, {
      url, clientId, maxInflight: MAX_INFLIGHT,
      // Hold a whole burst: the bench publishes faster than any broker acknowledges.
      queue: { maxMessages: 100_000, maxBytes: 64 * 1024 * 1024 },
    });
    client.on('error', (e) => console.error(`bench/mqtt: ${e.message}`));
    const connected = new Promise((resolve) => client.on('connect', resolve));
    client.connect();
    await connected;
    return client;
  },
  run: publishAll,
  end: (client) => client.end(),
};

const reference = {
  name: 'mqtt.js',
  async connect(clientId) {
    return mqtt.connectAsync(url, { clientId, protocolVersion: 4, reconnectPeriod: 0 });
  },
  run: publishAll,
  end: (client) => client.endAsync(),
};

async function measure(impl, qos, count) {
  const clientId = `bench-${impl.name}-${qos}-${count}`;
  const client = await impl.connect(clientId);
  const taken = brokerReceives(clientId, count);
  const start = process.hrtime.bigint();
  await Promise.all([impl.run(client, qos, count), taken]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await impl.end(client);
  return seconds;
}

for (const qos of [0, 1]) {
  for (const impl of [ours, reference]) {
    await measure(impl, qos, 2000); // warm-up: JIT and broker paths
    const messages = COUNTS[qos];
    const seconds = await measure(impl, qos, messages);
    const line = { bench: `mqtt.publish.qos${qos}`, impl: impl.name, msgsPerSec: Math.round(messages / seconds), messages, payloadBytes: PAYLOAD.length, window: WINDOW };
    if (qos === 1 && impl === ours) line.maxInflight = MAX_INFLIGHT;
    console.log(JSON.stringify(line));
  }
}

server.close();
await new Promise((resolve) => broker.close(resolve));
