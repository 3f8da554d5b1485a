#!/usr/bin/env node
/** `csso`: the package's command-line tool (package.json `bin`), e.g. `npx csso plan -f sso.yaml`. */
import { run } from './program.js';

process.exitCode = await run(process.argv);
