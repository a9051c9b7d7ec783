import { createRoot } from 'react-dom/client';
// Defines <soft-phone> before React renders it, so React 19 sets its properties (password,
// iceServers) as properties, never as attributes.
import 'soft-phone';
import { loadPhoneConfig } from '../../shared-config.js';
import { App } from './App.js';

const root = createRoot(document.getElementById('root')!);
loadPhoneConfig().then(
  (config) => root.render(<App config={config} />),
  (error: Error) => root.render(<p role="alert">{error.message}</p>),
);
