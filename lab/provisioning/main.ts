/**
 * Runs the provisioning server on its own (the lab normally starts it in-process):
 *   tsx lab/provisioning/main.ts --db run/accounts.sqlite --domain server1.test \
 *     --server ws://127.0.0.1:8088 [--server ws://...] [--port 0] [--range 100-999] [--rpc http://127.0.0.1:8088/RPC]
 * Prints one JSON line `{ "url": ..., "port": ... }` when it listens; stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { startProvisioningServer } from './server.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    domain: { type: 'string' },
    server: { type: 'string', multiple: true },
    port: { type: 'string', default: '0' },
    range: { type: 'string', default: '100-999' },
    rpc: { type: 'string', multiple: true },
  },
});

const range = /^(\d+)-(\d+)$/.exec(values.range ?? '');
if (!values.db || !values.domain || !values.server?.length || !range) {
  console.error('usage: main.ts --db FILE --domain DOMAIN --server WS_URL [--port N] [--range FROM-TO] [--rpc URL]');
  process.exit(2);
}

const prov = await startProvisioningServer({
  dbFile: values.db,
  domain: values.domain,
  servers: values.server,
  port: Number(values.port),
  range: { from: Number(range[1]), to: Number(range[2]) },
  registrations: values.rpc,
});
console.log(JSON.stringify({ url: prov.url, port: prov.port }));

const stop = () => {
  void prov.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
