#!/usr/bin/env node
// Entry of the `coalition` command. TypeScript runs through tsx's loader, so a
// fresh clone needs no build step: `npm ci` is all the setup `npx coalition` needs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
