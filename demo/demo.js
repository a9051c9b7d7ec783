/* global document, fetch, customElements, CustomEvent, URLSearchParams */
// The manual-testing page: two phones on the lab (one per server), an agent phone that logs in through
// the lab's provisioning server, a language switcher and a log of every softphone-* event. Plain
// JavaScript: no build step, the page loads the bundle as it ships.

const EVENTS = [
  'registering', 'registered', 'unregistered', 'registration-failed', 'connection-lost', 'connection-restored',
  'before-dial', 'incoming-call', 'call-state', 'call-established', 'call-ended', 'call-held', 'call-resumed',
  'transfer-completed', 'transfer-failed', 'call-parked', 'status-changed', 'call-quality', 'error', 'tab-role',
].map((n) => `softphone-${n}`);

const MAX_ROWS = 300;
const log = document.getElementById('log');
const status = document.getElementById('lab-status');

function addRow(phone, name, detail) {
  const row = document.createElement('tr');
  const cells = [new Date().toLocaleTimeString(undefined, { hour12: false }), phone, name, JSON.stringify(detail)];
  cells.forEach((value, i) => {
    const td = document.createElement('td');
    td.className = ['log-time', 'log-phone', 'log-name', 'log-detail'][i];
    // Event details carry caller names from the network: text only.
    td.textContent = value;
    row.append(td);
  });
  log.prepend(row);
  while (log.rows.length > MAX_ROWS) log.deleteRow(-1);
}

async function loadLab() {
  try {
    const res = await fetch('/lab.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.json();
  } catch (err) {
    status.textContent = `The lab is not running (${err.message}): start it with npm start. The phones below show their unregistered state.`;
    status.classList.add('bad');
    return undefined;
  }
}

/**
 * The server URL this page can use: a page served over https:// (as a CRM is) may only open secure
 * WebSockets, so it takes the lab's wss:// URL; over http:// the ws:// one.
 */
function serverUrl(info) {
  return document.location.protocol === 'https:' && info.wssUrl ? info.wssUrl : info.wsUrl;
}

/** The account to show on a server: the one named here if the lab has it, else its first one. */
function pickAccount(lab, server, preferred) {
  const list = lab?.accounts?.[server] ?? [];
  return list.find((a) => a.extension === preferred) ?? list[0];
}

function configure(el, lab, server, other, preferred) {
  const info = lab?.servers?.[server];
  const peer = lab?.servers?.[other];
  const account = pickAccount(lab, server, preferred);
  if (!info || !account) return undefined;
  el.setAttribute('server', serverUrl(info));
  el.setAttribute('domain', account.domain ?? info.domain);
  el.setAttribute('extension', account.extension);
  el.setAttribute('display-name', account.displayName ?? '');
  if (info.prefix) el.setAttribute('prefix', info.prefix);
  if (peer?.prefix) el.setAttribute('linked-servers', JSON.stringify([{ prefix: peer.prefix, label: other }]));
  // Secrets are properties, never attributes.
  el.password = account.password;
  return { extension: account.extension, prefix: info.prefix };
}

/** The desk phones and PSTN numbers of the lab (npm start runs them), with buttons to call them. */
function showTryThese(lab, phones, run) {
  const pbx = lab?.pbx;
  if (!pbx) return;
  const list = document.getElementById('try-list');
  const row = (number, what, buttons) => {
    const tr = document.createElement('tr');
    for (const text of [number, what]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement('td');
    for (const [label, action] of buttons) {
      const button = document.createElement('button');
      button.textContent = label;
      button.addEventListener('click', action);
      td.append(button);
    }
    tr.append(td);
    list.append(tr);
  };
  for (const d of pbx.deskPhones) {
    row(`${d.extension} (${d.server})`, `${d.displayName}: desk phone, ${d.toneHz} Hz tone`, [
      ['Phone A calls', () => run('A', () => phones.a.call(d.dial.server1))],
      ['Phone B calls', () => run('B', () => phones.b.call(d.dial.server2))],
    ]);
  }
  const n = pbx.pstn.numbers;
  const t = pbx.pstn.tones;
  for (const number of n.answers) {
    row(number, `PSTN: early media (${t.early} Hz), answered after 2.5 s (${t.answer} Hz), UPDATE and re-INVITE refreshes`, [
      ['Phone A calls', () => run('A', () => phones.a.call(number))],
    ]);
  }
  for (const [number, what] of [[n.busy, 'busy (486)'], [n.notFound, 'not found (404)'], [n.unavailable, 'unavailable (503)']]) {
    row(number, `PSTN: ${what}`, [['Phone A calls', () => run('A', () => phones.a.call(number))]]);
  }
  const callIn = (phone, extension, server) => async () => {
    const res = await fetch('/pbx/call-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extension, server, from: pbx.pstn.callInFrom }),
    });
    if (!res.ok) throw Object.assign(new Error((await res.json()).message), { code: `HTTP ${res.status}` });
  };
  row(pbx.pstn.callInFrom, `PSTN caller: the carrier calls in (${t.caller} Hz)`, [
    ['calls phone A', () => run('A', callIn('A', phones.a.getAttribute('extension'), 'server1'))],
    ['calls phone B', () => run('B', callIn('B', phones.b.getAttribute('extension'), 'server2'))],
  ]);
  document.getElementById('try').hidden = false;
}

function setLanguage(lang) {
  for (const el of document.querySelectorAll('soft-phone')) el.lang = lang;
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

async function main() {
  await customElements.whenDefined('soft-phone');
  const a = document.getElementById('a');
  const b = document.getElementById('b');
  const c = document.getElementById('c');
  for (const [id, el] of [['A', a], ['B', b], ['Agent', c]]) {
    for (const name of EVENTS) el.addEventListener(name, (e) => addRow(id, name.replace('softphone-', ''), e.detail));
  }
  // One phone per browser: each phone's tab role (leader, follower, alone) next to its name.
  for (const label of document.querySelectorAll('.tab-role')) {
    const el = document.getElementById(label.dataset.for);
    const show = () => (label.textContent = `(${el.tabRole} tab)`);
    el.addEventListener('softphone-tab-role', show);
    show();
  }
  document.getElementById('clear-log').addEventListener('click', () => log.replaceChildren());
  for (const btn of document.querySelectorAll('[data-lang]')) btn.addEventListener('click', () => setLanguage(btn.dataset.lang));

  const lab = await loadLab();
  const who = {
    a: configure(a, lab, 'server1', 'server2', '3999'),
    b: configure(b, lab, 'server2', 'server1', '2099'),
  };
  if (lab) status.textContent = `Lab: ${serverUrl(lab.servers.server1)} and ${serverUrl(lab.servers.server2)}`;
  // The agent phone gets everything from the provisioning server: it shows the login step first.
  if (lab?.provisioningUrl && lab.demoAgent) {
    c.setAttribute('provisioning-url', lab.provisioningUrl);
    c.setAttribute('agent', lab.demoAgent);
    document.getElementById('agent-info').textContent = `(agent ${lab.demoAgent})`;
  }
  const agentBox = c.closest('.phone');
  const agentRun = (work) => work().catch((err) => addRow('Agent', 'demo: rejected', { code: err.code, message: err.message }));
  agentBox.querySelector('[data-do=logout]').addEventListener('click', () => agentRun(() => c.logout()));
  agentBox.querySelector('[data-do=call-other]').addEventListener('click', () => agentRun(() => c.call(who.a?.extension ?? '')));

  for (const [key, el, other] of [['a', a, 'b'], ['b', b, 'a']]) {
    const box = el.closest('.phone');
    const run = (work) =>
      work().catch((err) => addRow(key.toUpperCase(), 'demo: rejected', { code: err.code, message: err.message }));
    box.querySelector('[data-do=register]').addEventListener('click', () => run(() => el.register()));
    box.querySelector('[data-do=unregister]').addEventListener('click', () => run(() => el.unregister()));
    box.querySelector('[data-do=call-other]').addEventListener('click', () => {
      const target = who[other];
      // The other phone is on the linked server: its prefix + its extension.
      run(() => el.call(target ? `${target.prefix ?? ''}${target.extension}` : ''));
    });
  }
  showTryThese(lab, { a, b }, (phone, work) => work().catch((err) => addRow(phone, 'demo: rejected', { code: err.code, message: err.message })));
  const lang = new URLSearchParams(document.location.search).get('lang');
  if (lang) setLanguage(lang);
  document.dispatchEvent(new CustomEvent('demo-ready'));
}

main();
