/* global document, fetch, URLSearchParams */
// The supervisor's page: <soft-phone-monitor> on the lab's provisioning server, a language switcher
// (also `?lang=he`) and a log of its events. Plain JavaScript: the page loads the monitor bundle only.

const monitor = document.getElementById('monitor');
const status = document.getElementById('lab-status');
const log = document.getElementById('log');

function setLanguage(lang) {
  monitor.lang = lang;
  document.documentElement.lang = lang;
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

for (const type of ['softphone-monitor-connection', 'softphone-monitor-error']) {
  monitor.addEventListener(type, (e) => {
    const li = document.createElement('li');
    li.textContent = `${new Date().toLocaleTimeString(undefined, { hour12: false })} ${type} ${JSON.stringify(e.detail)}`;
    log.prepend(li);
  });
}
for (const btn of document.querySelectorAll('[data-lang]')) btn.addEventListener('click', () => setLanguage(btn.dataset.lang));
setLanguage(new URLSearchParams(document.location.search).get('lang') ?? 'en');

try {
  const res = await fetch('/lab.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const lab = await res.json();
  if (!lab.provisioningUrl) throw new Error('the lab has no provisioning server');
  status.textContent = `Provisioning server: ${lab.provisioningUrl}`;
  monitor.setAttribute('provisioning-url', lab.provisioningUrl);
} catch (err) {
  status.textContent = `The lab is not running (${err.message}): start it with npm start.`;
  status.classList.add('bad');
}
