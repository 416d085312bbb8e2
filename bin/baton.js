#!/usr/bin/env node
// The `baton` command. Needs Node.js >= 22.18 (type stripping runs the TypeScript sources directly).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 18)) {
  await import('../src/cli/main.ts');
} else {
  console.error(
    `baton: Node ${process.versions.node} is older than 22.18; running under Node 24 from the npm registry (npx node@24).`,
  );
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('npx', ['-y', 'node@24', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
