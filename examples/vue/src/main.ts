import { createApp, h } from 'vue';
// Defines <soft-phone> before Vue mounts it, so `.password` and friends land on a real element.
import 'soft-phone';
import { loadPhoneConfig } from '../../shared-config.js';
import App from './App.vue';

loadPhoneConfig().then(
  (config) => createApp(App, { config }).mount('#app'),
  (error: Error) => createApp({ render: () => h('p', { role: 'alert' }, error.message) }).mount('#app'),
);
