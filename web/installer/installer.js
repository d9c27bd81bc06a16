// Browser installer: reads firmware/manifest.json (written by scripts/flash/serve-installer.js
// from the same image lookup the CLI uses: {chip: {images: [{name, offset, size}]}}),
// connects to the board with esptool-js over Web Serial, checks the chip, writes the
// images and has esptool-js compare the chip's MD5 of each region with the file's.
// esptool-js is esptool-js's own self-contained ES module build (bundle.js), served as
// vendor/esptool.js.

import { md5hex } from './md5.js';

// Loaded on demand rather than imported: a static import that fails (the folder served by a
// plain static server has no vendor/esptool.js) stops the whole module before it can say so,
// and the page would stay on "loading…" with no error.
let esptool = null;
async function loadEsptool() {
  try {
    esptool = await import('./vendor/esptool.js');
  } catch (error) {
    throw new Error(
      'vendor/esptool.js could not be loaded: serve this page with `node scripts/flash/serve-installer.js`, ' +
        `which provides it from esptool-js (a plain static server of web/installer does not). (${error?.message ?? error})`,
    );
  }
}

const CHIP_KEYS = { ESP32: 'esp32', 'ESP32-C3': 'esp32c3', 'ESP32-S3': 'esp32s3' };
const $ = (id) => document.getElementById(id);
const logEl = $('log');
const log = (line) => {
  logEl.textContent += line + '\n';
  logEl.scrollTop = logEl.scrollHeight;
};
const status = (text, cls = '') => {
  $('status').textContent = text;
  $('status').className = cls;
};

let manifest = null;

function showImages(images) {
  $('images').innerHTML = '';
  for (const [i, image] of images.entries()) {
    const row = document.createElement('tr');
    row.innerHTML = `<td></td><td class="num">0x${image.offset.toString(16)}</td><td class="num">${image.size}</td><td><progress id="p${i}" max="1" value="0"></progress></td>`;
    row.firstChild.textContent = image.name;
    $('images').append(row);
  }
}

async function loadManifest() {
  const response = await fetch('firmware/manifest.json');
  if (!response.ok) throw new Error(`firmware/manifest.json: HTTP ${response.status}`);
  manifest = await response.json();
  const chips = Object.keys(manifest);
  if (chips.length === 0) throw new Error('the manifest lists no firmware');
  showImages(manifest[chips[0]].images);
  status(`firmware for ${chips.join(', ')}`);
}

async function flash() {
  $('flash').disabled = true;
  let transport;
  try {
    const port = await navigator.serial.requestPort();
    transport = new esptool.Transport(port, false);
    const terminal = { clean() {}, write: log, writeLine: log };
    const loader = new esptool.ESPLoader({ transport, baudrate: Number($('baud').value), terminal });
    status('connecting…');
    const description = await loader.main('default_reset');
    const chipKey = CHIP_KEYS[loader.chip.CHIP_NAME];
    const entry = chipKey && manifest[chipKey];
    if (!entry) throw new Error(`the board is an ${loader.chip.CHIP_NAME}; this installer has firmware for ${Object.keys(manifest).join(', ')}`);
    showImages(entry.images);
    status(`${description}: downloading firmware…`);
    const files = [];
    for (const image of entry.images) {
      const response = await fetch(`firmware/${chipKey}/${image.name}`);
      if (!response.ok) throw new Error(`firmware/${chipKey}/${image.name}: HTTP ${response.status}`);
      files.push({ data: new Uint8Array(await response.arrayBuffer()), address: image.offset });
    }
    status('writing…');
    await loader.writeFlash({
      fileArray: files,
      flashMode: 'keep',
      flashFreq: 'keep',
      flashSize: 'keep',
      eraseAll: $('erase').checked,
      compress: true,
      reportProgress: (i, written, total) => {
        $(`p${i}`).value = total ? written / total : 1;
      },
      calculateMD5Hash: md5hex,
    });
    await loader.after('hard_reset');
    status('done: every image verified by MD5; the board is restarting', 'ok');
  } catch (error) {
    log(String(error?.stack ?? error));
    const verify = /MD5 of file does not match/.test(error?.message ?? '');
    status(verify ? 'verification failed: the flash does not hold the firmware; try again at a lower speed' : `failed: ${error?.message ?? error}`, 'error');
  } finally {
    try {
      await transport?.disconnect();
    } catch {
      // port never opened
    }
    $('flash').disabled = false;
  }
}

if (!('serial' in navigator)) {
  $('unsupported').hidden = false;
}
Promise.all([loadEsptool(), loadManifest()]).then(
  () => {
    $('flash').disabled = !('serial' in navigator);
  },
  (error) => status(error.message, 'error'),
);
$('flash').addEventListener('click', flash);
