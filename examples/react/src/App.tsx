import { useRef, useState, type FormEvent } from 'react';
import type { CallInfo, SoftPhone, SoftPhoneError } from 'soft-phone';
import type { PhoneConfig } from '../../shared-config.js';

/** No STUN/TURN server: one stable array, so a re-render does not hand the phone a "new" setting. */
const NO_ICE_SERVERS: RTCIceServer[] = [];

export function App({ config }: { config: PhoneConfig }) {
  const phone = useRef<SoftPhone>(null);
  const [registration, setRegistration] = useState('unregistered');
  const [calls, setCalls] = useState<Record<string, CallInfo>>({});
  const [log, setLog] = useState<string[]>([]);
  const [number, setNumber] = useState('');
  const [error, setError] = useState('');
  const note = (line: string) => setLog((lines) => [line, ...lines].slice(0, 20));

  const call = (e: FormEvent) => {
    e.preventDefault();
    setError('');
    phone.current?.call(number).catch((err: SoftPhoneError) => setError(`${err.code}: ${err.message}`));
  };

  return (
    <main>
      <h1>&lt;soft-phone&gt; in React 19</h1>
      <soft-phone
        ref={phone}
        server={config.server}
        domain={config.domain}
        extension={config.extension}
        displayName={config.displayName}
        password={config.password}
        iceServers={NO_ICE_SERVERS}
        onsoftphone-registered={(e) => {
          setRegistration('registered');
          note(`registered as ${e.detail.aor}`);
        }}
        onsoftphone-unregistered={() => setRegistration('unregistered')}
        onsoftphone-connection-lost={() => setRegistration('connection-lost')}
        onsoftphone-call-state={(e) => setCalls((all) => ({ ...all, [e.detail.call.id]: e.detail.call }))}
        onsoftphone-call-established={(e) => note(`call with ${e.detail.call.remote.number} established`)}
        onsoftphone-call-ended={(e) => note(`call with ${e.detail.call.remote.number} ended: ${e.detail.call.endCause}`)}
        onsoftphone-error={(e) => setError(`${e.detail.code}: ${e.detail.message}`)}
      ></soft-phone>
      <section aria-labelledby="state-title">
        <h2 id="state-title">What React knows</h2>
        <p>
          Registration: <output id="registration">{registration}</output>
        </p>
        <form onSubmit={call}>
          <label>
            Number <input value={number} onChange={(e) => setNumber(e.target.value)} />
          </label>{' '}
          <button type="submit">Call from React</button>
        </form>
        {error && (
          <p id="error" role="alert">
            {error}
          </p>
        )}
        <h3>Calls</h3>
        <ul id="calls">
          {Object.values(calls).map((c) => (
            <li key={c.id}>
              {c.direction} {c.remote.number}: {c.state}
              {c.endCause ? ` (${c.endCause})` : ''}
            </li>
          ))}
        </ul>
        <h3>Events</h3>
        <ol id="log">
          {log.map((line, i) => (
            <li key={log.length - i}>{line}</li>
          ))}
        </ol>
      </section>
    </main>
  );
}
