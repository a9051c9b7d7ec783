/* global document, fetch, URLSearchParams */
// What the demo pages share: reading /lab.json (npm start serves it), configuring a <soft-phone> with a
// lab account, and the language switcher. Plain JavaScript: no build step.

/** The lab's description, or undefined (with `statusEl` saying why) when the lab is not running. */
export async function loadLab(statusEl) {
  try {
    const res = await fetch('/lab.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.json();
  } catch (err) {
    statusEl.textContent = `The lab is not running (${err.message}): start it with npm start. The phones below show their unregistered state.`;
    statusEl.classList.add('bad');
    return undefined;
  }
}

/**
 * The server URL this page can use: a page served over https:// (as a CRM is) may only open secure
 * WebSockets, so it takes the lab's wss:// URL; over http:// the ws:// one.
 */
export function serverUrl(info) {
  const secure = document.location.protocol === 'https:' && info.wssUrl;
  // A server run as a cluster (server1) lists every node, space-separated, in failover order.
  const urls = secure ? info.wssUrls : info.wsUrls;
  if (Array.isArray(urls) && urls.length) return urls.join(' ');
  return secure ? info.wssUrl : info.wsUrl;
}

/** The account to show on a server: the one named here if the lab has it, else its first one. */
export function pickAccount(lab, server, preferred) {
  const list = lab?.accounts?.[server] ?? [];
  return list.find((a) => a.extension === preferred) ?? list[0];
}

/** Gives `el` a lab account on `server`, with the `other` server linked; returns who it is. */
export function configure(el, lab, server, other, preferred) {
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

/** Puts every phone of the page in `lang` and marks the switcher's button. */
export function setLanguage(lang) {
  for (const el of document.querySelectorAll('soft-phone')) el.lang = lang;
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

/** Wires the switcher's buttons, then applies `?lang=` when the URL has one. */
export function languageSwitcher() {
  for (const btn of document.querySelectorAll('[data-lang]')) btn.addEventListener('click', () => setLanguage(btn.dataset.lang));
  const lang = new URLSearchParams(document.location.search).get('lang');
  if (lang) setLanguage(lang);
}
