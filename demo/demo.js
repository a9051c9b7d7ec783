/* global document, fetch, customElements, CustomEvent, window */
// The manual-testing page: two phones on the lab (one per server), an agent phone that logs in through
// the lab's provisioning server, a language switcher and a log of every softphone-* event. Plain
// JavaScript: no build step, the page loads the bundle as it ships.
import { configure, languageSwitcher, loadLab, serverUrl } from './lab-config.js';

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
    await post('/pbx/call-in', { extension, server, from: pbx.pstn.callInFrom });
  };
  row(pbx.pstn.callInFrom, `PSTN caller: the carrier calls in (${t.caller} Hz)`, [
    ['calls phone A', () => run('A', callIn('A', phones.a.getAttribute('extension'), 'server1'))],
    ['calls phone B', () => run('B', callIn('B', phones.b.getAttribute('extension'), 'server2'))],
  ]);
  document.getElementById('try').hidden = false;
}

/** POSTs JSON to the lab; resolves with its JSON answer, rejects with its message. */
async function post(pathname, body) {
  const res = await fetch(pathname, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json();
  if (!res.ok) throw Object.assign(new Error(answer.message), { code: `HTTP ${res.status}` });
  return answer;
}

/**
 * The impaired line: while the box is ticked, the page's new calls take the lab's relay
 * (/lab/media-relay.page.js rewrites their remote candidates to the relay's stand-ins), and the
 * buttons set its delay, jitter and loss.
 */
async function showImpairedLine(run) {
  const section = document.getElementById('impair');
  const state = document.getElementById('impair-status');
  const show = (a) => {
    state.textContent = `now: ${a.delayMs} ms delay, 0-${a.jitterMs} ms jitter, ${a.lossPct} % loss; ${a.forwarded} packets relayed`;
  };
  try {
    show(await post('/media-relay', {}));
  } catch {
    return; // a lab without the relay
  }
  const box = document.getElementById('impair-on');
  box.addEventListener('change', () => {
    if (box.checked) window.__mediaRelayPort = async (port, address) => (await post('/media-relay/port', { port, address })).port;
    else delete window.__mediaRelayPort;
  });
  for (const button of document.querySelectorAll('[data-impair]')) {
    button.addEventListener('click', () => run(async () => show(await post('/media-relay', JSON.parse(button.dataset.impair)))));
  }
  section.hidden = false;
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

  const lab = await loadLab(status);
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
  await showImpairedLine((work) => work().catch((err) => addRow('relay', 'demo: rejected', { code: err.code, message: err.message })));
  languageSwitcher();
  document.dispatchEvent(new CustomEvent('demo-ready'));
}

main();
