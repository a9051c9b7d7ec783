/* global document, customElements, CustomEvent, URLSearchParams, localStorage, CSS */
// A small CRM around one agent phone, as a host page would build it: a contact list whose tel: links
// dial through the phone (handleTelLinks), a screen pop of the caller's record on an incoming call, and
// notes for each call beside the list of calls (kept in localStorage). Plain JavaScript, no build step.
import { handleTelLinks } from '/dist/soft-phone.bundle.js';
import { configure, languageSwitcher, loadLab } from './lab-config.js';

/** The CRM's records; each is reachable at a lab account (or, for the PSTN caller, a public number). */
const RECORDS = [
  { server: 'server1', extension: '3999', name: 'Alice Tanaka', company: 'Acme Support (internal)', city: 'Tokyo', tier: 'Colleague', ticket: 'none' },
  { server: 'server1', extension: '4000', name: 'Carol Nowak', company: 'Globex Sp. z o.o.', city: 'Warsaw', tier: 'Gold', ticket: '#4411 Invoice 2026/11 charged twice' },
  { server: 'server1', extension: '4001', name: 'Dave Suzuki', company: 'Initech KK', city: 'Osaka', tier: 'Silver', ticket: '#4398 Headset replacement' },
  { server: 'server2', extension: '2099', name: 'Bob Cohen', company: 'Hooli Israel', city: 'Tel Aviv', tier: 'Gold', ticket: 'none open' },
  { server: 'server2', extension: '2100', name: 'Erin Kowalska', company: 'Umbrella Polska', city: 'Kraków', tier: 'Bronze', ticket: '#4420 Contract renewal' },
  { number: '+48601234567', name: 'Marek Zieliński', company: 'Vandelay Import', city: 'Gdańsk', tier: 'Prospect', ticket: '#4425 Callback requested' },
];
// The agent is 4003 (?agent= picks another), so the lab demo's phones can call this page.
const AGENT_SERVER = 'server1';
const OTHER_SERVER = 'server2';
const NOTES_KEY = 'soft-phone-crm-calls';
const MAX_CALLS = 50;

const $ = (id) => document.getElementById(id);
const digits = (number) => String(number ?? '').replace(/[^\d+]/g, '');

/** Builds an element with text content only (names come from the network: never HTML). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

/** The contacts this lab can reach, each with the number the agent's phone dials. */
function contactsFor(lab, me) {
  const prefix = lab?.servers?.[OTHER_SERVER]?.prefix ?? '';
  return RECORDS.flatMap((r) => {
    if (r.server === AGENT_SERVER && r.extension === me) return [];
    if (r.number) return [{ ...r, display: r.number, dial: r.number }];
    if (!lab?.accounts?.[r.server]?.some((a) => a.extension === r.extension)) return [];
    // A linked server's extension is dialed as prefix + extension; the separator is only for the eye.
    const display = r.server === AGENT_SERVER ? r.extension : `${prefix}-${r.extension}`;
    return [{ ...r, display, dial: digits(display) }];
  });
}

// --- calls and notes -------------------------------------------------------------------------

function loadCalls() {
  try {
    const list = JSON.parse(localStorage.getItem(NOTES_KEY) ?? '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

const calls = loadCalls();
const saveCalls = () => localStorage.setItem(NOTES_KEY, JSON.stringify(calls.slice(0, MAX_CALLS)));
const time = (ms) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

function callTitle(entry) {
  const arrow = entry.direction === 'inbound' ? '↙' : '↗';
  return `${arrow} ${entry.name ? `${entry.name} (${entry.number})` : entry.number}`;
}

function callStatus(entry) {
  if (entry.endedAt) {
    const seconds = entry.answeredAt ? Math.round((entry.endedAt - entry.answeredAt) / 1000) : 0;
    return entry.answeredAt ? `${time(entry.startedAt)}, ${seconds} s` : `${time(entry.startedAt)}, not answered`;
  }
  return `${time(entry.startedAt)}, ${entry.state}`;
}

function renderCalls() {
  const list = $('calls');
  $('no-calls').hidden = calls.length > 0;
  list.replaceChildren(
    ...calls.map((entry) => {
      const notesId = `notes-${entry.id}`;
      const notes = el('textarea', { id: notesId, value: entry.notes ?? '' });
      notes.addEventListener('input', () => {
        entry.notes = notes.value;
        saveCalls();
      });
      return el(
        'li',
        { 'data-call': entry.id },
        el('div', { class: 'contact-name' }, callTitle(entry)),
        el('div', { class: 'muted call-status' }, callStatus(entry)),
        el('label', { htmlFor: notesId }, `Notes: ${entry.name ?? entry.number}, ${time(entry.startedAt)}`),
        notes,
      );
    }),
  );
}

/** Keeps the list in step with the phone: a call appears when it starts, its notes field at once. */
function trackCall(call, contact) {
  let entry = calls.find((c) => c.id === call.id);
  const created = !entry;
  if (!entry) {
    entry = { id: call.id, direction: call.direction, number: call.remote.number, name: contact?.name ?? call.remote.displayName, startedAt: call.startedAt, notes: '' };
    calls.unshift(entry);
  }
  const changed = entry.state !== call.state;
  entry.state = call.state;
  if (call.answeredAt) entry.answeredAt = call.answeredAt;
  if (call.endedAt) entry.endedAt = call.endedAt;
  saveCalls();
  if (created) renderCalls();
  else if (changed) {
    const status = document.querySelector(`[data-call="${CSS.escape(call.id)}"] .call-status`);
    if (status) status.textContent = callStatus(entry);
  }
}

// --- the record and the screen pop -----------------------------------------------------------

function showRecord(contact, { banner, number } = {}) {
  const body = $('record-body');
  const parts = [];
  if (banner) parts.push(el('div', { class: 'pop-banner', role: 'status' }, banner));
  if (!contact) {
    parts.push(el('p', {}, `No record for ${number}.`));
    body.replaceChildren(...parts);
    return;
  }
  const earlier = calls.filter((c) => digits(c.number) === contact.dial && c.notes);
  parts.push(
    el('h3', { class: 'record-name' }, contact.name),
    el(
      'dl',
      {},
      el('dt', {}, 'Company'), el('dd', {}, contact.company),
      el('dt', {}, 'City'), el('dd', {}, contact.city),
      el('dt', {}, 'Phone'), el('dd', {}, el('a', { href: `tel:${contact.display}` }, contact.display)),
      el('dt', {}, 'Account'), el('dd', {}, contact.tier),
      el('dt', {}, 'Open ticket'), el('dd', {}, contact.ticket),
    ),
    el('h3', {}, 'Earlier call notes'),
    earlier.length
      ? el('ul', {}, ...earlier.map((c) => el('li', {}, `${new Date(c.startedAt).toLocaleString()}: ${c.notes}`)))
      : el('p', { class: 'muted' }, 'None yet.'),
  );
  body.replaceChildren(...parts);
  for (const row of $('contacts').rows) row.setAttribute('aria-current', String(row.dataset.dial === contact.dial));
}

function renderContacts(contacts) {
  $('contacts').replaceChildren(
    ...contacts.map((c) => {
      const open = el('button', { type: 'button', class: 'contact-name', title: `Open the record of ${c.name}` }, c.name);
      open.addEventListener('click', () => showRecord(c));
      return el(
        'tr',
        { 'data-dial': c.dial },
        el('td', {}, open),
        el('td', {}, c.company, el('div', { class: 'muted' }, c.city)),
        el('td', {}, el('a', { href: `tel:${c.display}`, 'aria-label': `Call ${c.name}, ${c.display}` }, c.display)),
      );
    }),
  );
}

async function main() {
  await customElements.whenDefined('soft-phone');
  const phone = $('phone');
  const lab = await loadLab($('lab-status'));
  const agent = new URLSearchParams(document.location.search).get('agent') ?? '4003';
  const me = configure(phone, lab, AGENT_SERVER, OTHER_SERVER, agent);
  if (me) $('lab-status').textContent = `Agent ${me.extension} on ${AGENT_SERVER}`;
  const contacts = contactsFor(lab, me?.extension);
  const contactOf = (number) => contacts.find((c) => c.dial === digits(number));
  renderContacts(contacts);
  renderCalls();

  // Click-to-dial: every tel: link on the page calls through the phone.
  handleTelLinks(document, phone, {
    onError: (error, number) => {
      $('lab-status').textContent = `Could not call ${number}: ${error.message}`;
    },
  });

  phone.addEventListener('softphone-call-state', (e) => trackCall(e.detail.call, contactOf(e.detail.call.remote.number)));
  phone.addEventListener('softphone-incoming-call', (e) => {
    const { remote } = e.detail.call;
    const contact = contactOf(remote.number);
    const who = contact?.name ?? remote.displayName ?? remote.number;
    $('record').classList.add('pop');
    showRecord(contact, { banner: `Incoming call from ${who}`, number: remote.number });
  });
  phone.addEventListener('softphone-call-ended', () => {
    if (!phone.calls.some((c) => c.state !== 'ended' && c.direction === 'inbound')) $('record').classList.remove('pop');
  });
  languageSwitcher();
  document.dispatchEvent(new CustomEvent('demo-ready'));
}

main();
