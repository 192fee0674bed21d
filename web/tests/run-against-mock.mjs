// `npm run test:mock`: starts dev/mock-server.mjs on an ephemeral port, runs
// tests/dashboard.test.mjs against it, stops the server and exits with the test's code.
//
//   node tests/run-against-mock.mjs --static DIR --screenshot OUT.png [--chromium PATH]

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { start_mock_server } from '../dev/mock-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    static: { type: 'string', default: path.join(here, '..', 'dist') },
    screenshot: { type: 'string', default: path.join(here, '..', 'test-results', 'dashboard.png') },
    chromium: { type: 'string' },
  },
});

const server = await start_mock_server({ static_dir: path.resolve(args.static) });
console.log(`mock server on ${server.url}`);
const test_args = [path.join(here, 'dashboard.test.mjs'), '--url', server.url, '--token', server.token,
                   '--screenshot', args.screenshot];
if (args.chromium) test_args.push('--chromium', args.chromium);

const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, test_args, { stdio: 'inherit' });
  child.on('exit', (exit_code, signal) => resolve(exit_code ?? (signal ? 1 : 0)));
});
await server.close();
process.exit(code);
