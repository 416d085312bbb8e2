#!/usr/bin/env node
// Runs a script under Node.js >= 22.18 (Baton's floor; it targets 24 LTS).
// On an older Node it re-runs itself under Node 24 taken from the npm registry,
// so `npm start` and `npm test` work on a fresh machine whatever its Node is.
// Usage: node bin/node24.js SCRIPT [ARGS...]
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: node bin/node24.js SCRIPT [ARGS...]');
  process.exit(2);
}

if (major > 22 || (major === 22 && minor >= 18)) {
  process.argv = [process.argv[0], path.resolve(script), ...args];
  await import(pathToFileURL(path.resolve(script)).href);
} else {
  console.error(
    `baton: Node ${process.versions.node} is older than 22.18; running under Node 24 from the npm registry (npx node@24).`,
  );
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('npx', ['-y', 'node@24', self, script, ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
