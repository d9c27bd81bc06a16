// The gateway's page: one small script, no framework (it is served from flash).
'use strict';
const $ = (s, e = document) => e.querySelector(s);
const el = (tag, attrs = {}, text) => { const e = document.createElement(tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; };
const devices = new Map();
let graphMac = null;

async function api(path, options = {}) {
  const r = await fetch(path, { headers: { 'Content-Type': 'application/json' }, ...options });
  let body = null;
  try { body = await r.json(); } catch { body = { error: `HTTP ${r.status}` }; }
  if (!r.ok) throw new Error(body.error || body.Error || `HTTP ${r.status}`);
  return body;
}
function say(id, text, good) { const m = $(id); m.textContent = text; m.className = 'msg ' + (good ? 'ok' : 'err'); }

// --- pages -----------------------------------------------------------------------
const PAGE_OF = { '/': 'dashboard', '/m32': 'dashboard', '/devices': 'devices', '/console': 'console', '/settings': 'settings', '/update': 'settings' };
function show(page) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== page;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.dataset.page === page);
  if (page === 'settings') loadSettings();
  if (page === 'console') loadLog();
}
document.addEventListener('click', (e) => {
  const a = e.target.closest('nav a');
  if (!a) return;
  e.preventDefault();
  history.pushState(null, '', a.getAttribute('href'));
  show(a.dataset.page);
});
addEventListener('popstate', () => show(PAGE_OF[location.pathname] || 'dashboard'));

// --- dashboard -------------------------------------------------------------------
const KEY_TEXT = { none: 'no key', ok: 'key ok', 'needs-key': 'needs key', 'wrong-key': 'wrong key', 'refused-plain': 'refused plain frame' };
function ago(ms) { if (ms === null) return 'not heard'; const s = Math.round(ms / 1000); return s < 90 ? `${s} s ago` : `${Math.round(s / 60)} min ago`; }

function tile(d) {
  const t = el('div', { class: 'tile', 'data-mac': d.mac });
  t.append(el('h4', {}, d.name), el('div', { class: 'model' }, `${d.model} · ${d.mac}`));
  for (const r of d.readings) {
    const line = el('span', { class: 'r', 'data-key': r.key, title: r.label }, `${r.text}${r.unit ? ' ' + r.unit : ''}`);
    line.prepend(el('small', {}, r.label + ' '));
    t.append(line);
  }
  const meta = el('div', { class: 'meta' });
  meta.append(el('span', { class: 'battery' }, d.battery === null ? '' : `battery ${d.battery} % · `), el('span', { class: 'rssi' }, d.rssi === null ? '' : `${d.rssi} dBm · `), el('span', { class: 'seen' }, ago(d.lastSeenAgo)), document.createTextNode(' '), el('span', { class: `key ${d.keyState}` }, KEY_TEXT[d.keyState]));
  t.append(meta);
  t.addEventListener('click', () => openGraph(d.mac));
  return t;
}

function render(d, flash) {
  const old = $(`.tile[data-mac="${d.mac}"]`);
  const before = devices.get(d.mac);
  devices.set(d.mac, d);
  const t = tile(d);
  if (old) old.replaceWith(t); else $('#tiles').append(t);
  if (flash && before && JSON.stringify(before.readings) !== JSON.stringify(d.readings)) {
    t.classList.add('flash');
    setTimeout(() => t.classList.remove('flash'), 1500);
  }
  renderRow(d);
  if (graphMac === d.mac && flash) openGraph(d.mac);
}

async function loadDevices() {
  const { devices: list } = await api('/api/devices');
  for (const d of list) render(d, false);
  for (const mac of [...devices.keys()]) if (!list.some((d) => d.mac === mac)) dropDevice(mac);
}
function dropDevice(mac) {
  devices.delete(mac);
  $(`.tile[data-mac="${mac}"]`)?.remove();
  $(`tr[data-mac="${mac}"]`)?.remove();
}

async function openGraph(mac) {
  graphMac = mac;
  const { series } = await api(`/api/history/${mac}`);
  const svg = $('#chart');
  svg.replaceChildren();
  $('#graph').hidden = false;
  $('#graph-title').textContent = `${devices.get(mac)?.name ?? mac}: last 24 hours`;
  const colours = ['#ffb300', '#4fc3f7', '#aed581'];
  const legend = [];
  series.forEach((s, i) => {
    if (!s.points.length) return;
    const lo = Math.min(...s.points.map((p) => p.min)); const hi = Math.max(...s.points.map((p) => p.max));
    const y = (v) => 150 - (hi === lo ? 0.5 : (v - lo) / (hi - lo)) * 140;
    const t0 = s.points[s.points.length - 1].t - 23 * 3600e3;
    const x = (t) => 10 + ((t - t0) / (23 * 3600e3)) * 460;
    const NS = 'http://www.w3.org/2000/svg';
    const line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', s.points.map((p) => `${x(p.t)},${y(p.last)}`).join(' '));
    line.setAttribute('fill', 'none'); line.setAttribute('stroke', colours[i]);
    svg.append(line);
    for (const p of s.points) {
      const bar = document.createElementNS(NS, 'line');
      bar.setAttribute('x1', x(p.t)); bar.setAttribute('x2', x(p.t)); bar.setAttribute('y1', y(p.min)); bar.setAttribute('y2', y(p.max));
      bar.setAttribute('stroke', colours[i]); bar.setAttribute('stroke-opacity', '.4'); bar.setAttribute('stroke-width', '6');
      const dot = document.createElementNS(NS, 'circle');
      dot.setAttribute('class', 'point'); dot.setAttribute('cx', x(p.t)); dot.setAttribute('cy', y(p.last)); dot.setAttribute('r', 3); dot.setAttribute('fill', colours[i]);
      svg.append(bar, dot);
    }
    legend.push(`${s.label}: ${s.points[s.points.length - 1].last}${s.unit ? ' ' + s.unit : ''} (${lo}–${hi})`);
  });
  $('#graph-legend').textContent = legend.join(' · ') || 'no history yet';
}

// --- devices ---------------------------------------------------------------------
function renderRow(d) {
  const old = $(`tr[data-mac="${d.mac}"]`);
  const tr = el('tr', { 'data-mac': d.mac });
  const name = el('input', { value: d.name, class: 'name', 'aria-label': 'name' });
  const rename = el('button', { class: 'rename' }, 'Rename');
  rename.onclick = () => act(`/api/devices/${d.mac}/name`, { method: 'POST', body: JSON.stringify({ name: name.value }) }, 'renamed');
  const key = el('input', { class: 'key-input', placeholder: d.key ? `key ${d.key}` : 'bind key (32 hex)', 'aria-label': 'bind key' });
  const setKey = el('button', { class: 'set-key' }, 'Set key');
  setKey.onclick = () => act(`/api/devices/${d.mac}/key`, { method: 'POST', body: JSON.stringify({ key: key.value }) }, 'key saved');
  const remove = el('button', { class: 'remove' }, 'Remove');
  remove.onclick = () => { if (confirm(`Remove ${d.name}?`)) act(`/api/devices/${d.mac}`, { method: 'DELETE' }, 'removed').then(() => dropDevice(d.mac)); };
  const cells = [[name, rename], [d.mac], [d.model], [el('span', { class: `key ${d.keyState}` }, KEY_TEXT[d.keyState]), key, setKey], [remove]];
  for (const c of cells) { const td = el('td'); td.append(...c); tr.append(td); }
  if (old) old.replaceWith(tr); else $('#device-rows').append(tr);
}
async function act(path, options, done) {
  try {
    const r = await api(path, options);
    say('#device-msg', `${done}${r.note ? ': ' + r.note : ''}`, true);
    await loadDevices();
  } catch (e) { say('#device-msg', e.message, false); }
}
$('#add-form').addEventListener('submit', (e) => {
  e.preventDefault();
  act('/api/devices', { method: 'POST', body: JSON.stringify(Object.fromEntries(new FormData(e.target))) }, 'added');
});
$('#import-file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (file) act('/api/mi32cfg', { method: 'POST', body: await file.text() }, 'imported');
});

// --- console ---------------------------------------------------------------------
function logLine(text) { const log = $('#log'); log.textContent += text + '\n'; log.scrollTop = log.scrollHeight; }
async function loadLog() { try { const { lines } = await api('/api/log'); $('#log').textContent = ''; lines.forEach(logLine); } catch (e) { logLine(e.message); } }
$('#cmd-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const command = $('#cmd').value.trim();
  if (!command) return;
  logLine('> ' + command);
  try { logLine(JSON.stringify(await api('/api/command', { method: 'POST', body: JSON.stringify({ command }) }))); } catch (err) { logLine(err.message); }
  $('#cmd').value = '';
});

// --- settings --------------------------------------------------------------------
async function loadSettings() {
  const s = await api('/api/settings');
  const f = $('#settings-form');
  const set = (name, v) => { const i = f.elements[name]; if (!i) return; if (i.type === 'checkbox') i.checked = !!v; else i.value = v ?? ''; };
  set('topic', s.topic); set('telePeriod', s.telePeriod);
  for (const k in s.options) set('options.' + k, s.options[k]);
  if (s.mqtt) { set('mqtt.host', s.mqtt.host); set('mqtt.port', s.mqtt.port); set('mqtt.user', s.mqtt.user); set('mqtt.tls', s.mqtt.tls); f.elements['mqtt.password'].placeholder = s.mqtt.passwordSet ? 'set (unchanged)' : 'none'; }
  for (const n of ['mqtt.host', 'mqtt.port', 'mqtt.user', 'mqtt.password', 'mqtt.tls']) f.elements[n].disabled = !s.mqtt?.editable;
  $('#mqtt-note').textContent = s.mqtt?.note ?? '';
  $('#wifi-set').disabled = !s.wifi;
  if (s.wifi) set('wifi.ssid', s.wifi.ssid);
  $('#wifi-note').textContent = s.wifi ? `now: ${s.wifi.mode}; a new network is joined at the next restart` : 'Wi-Fi is set on the device only';
  f.elements.webPassword.placeholder = s.webPassword ? 'set (unchanged)' : 'off';
  for (const n of ['webPassword', 'mqtt.password', 'wifi.password']) f.elements[n].value = ''; // never shown back
}
$('#settings-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const body = { topic: f.elements.topic.value, telePeriod: f.elements.telePeriod.value, options: {} };
  for (let i = 0; i < 5; i++) body.options['MI32Option' + i] = f.elements['options.MI32Option' + i].checked ? 1 : 0;
  if (!f.elements['mqtt.host'].disabled) body.mqtt = { host: f.elements['mqtt.host'].value, port: f.elements['mqtt.port'].value, user: f.elements['mqtt.user'].value, password: f.elements['mqtt.password'].value, tls: f.elements['mqtt.tls'].checked };
  if (!$('#wifi-set').disabled && f.elements['wifi.ssid'].value) body.wifi = { ssid: f.elements['wifi.ssid'].value, password: f.elements['wifi.password'].value };
  if (f.elements.webPassword.value) body.webPassword = f.elements.webPassword.value;
  try { await api('/api/settings', { method: 'POST', body: JSON.stringify(body) }); say('#settings-msg', 'saved', true); } catch (err) { say('#settings-msg', err.message, false); }
  loadSettings();
});
$('#update-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const file = $('#image').files[0];
  if (!file) return;
  const data = new Uint8Array(await file.arrayBuffer());
  const CHUNK = 32768;
  try {
    for (let offset = 0; offset < data.length; offset += CHUNK) {
      const r = await fetch(`/api/update?offset=${offset}&total=${data.length}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: data.subarray(offset, offset + CHUNK) });
      const body = await r.json();
      if (!r.ok) throw new Error(body.error);
      $('#update-progress').value = body.received / data.length;
      if (body.done) say('#update-msg', body.restarting ? 'done: restarting into the new firmware' : 'done: the new firmware starts at the next reset', true);
    }
  } catch (err) { say('#update-msg', err.message, false); }
});

// --- live ------------------------------------------------------------------------
function live() {
  const source = new EventSource('/api/events');
  source.addEventListener('hello', () => { $('#live').classList.add('on'); loadDevices(); });
  source.addEventListener('devices', (e) => { for (const d of JSON.parse(e.data)) d.removed ? dropDevice(d.mac) : render(d, true); });
  source.addEventListener('log', (e) => { if (!$('#console').hidden) logLine(JSON.parse(e.data)); });
  source.onerror = () => $('#live').classList.remove('on');
}
// "last seen" keeps counting between updates
setInterval(() => { if (!$('#dashboard').hidden) loadDevices().catch(() => {}); }, 15000);

show(PAGE_OF[location.pathname] || 'dashboard');
loadDevices().catch((e) => { $('#tiles').textContent = e.message; });
live();
