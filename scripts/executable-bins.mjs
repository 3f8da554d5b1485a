// Marks the package's bins (package.json "bin") executable after the build. tsc writes its output
// with mode 0644; npm makes a bin executable only when it links it from node_modules of another
// project, so in this repository's own clone `npx csso` found dist/src/cli/csso/main.js and failed
// with "Permission denied" (seen on a fresh clone's CI run).
import { chmodSync, readFileSync } from 'node:fs';

const { bin } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const path of Object.values(bin ?? {})) chmodSync(new URL(`../${path}`, import.meta.url), 0o755);
