// Entry of the reader thread (isolated.ts). A worker thread does not inherit the
// tsx loader that bin/coalition.js (or `node --import tsx`) gave the main thread,
// so it registers one of its own before it loads the TypeScript reader.
import { register } from 'tsx/esm/api';

register();
await import('./reader-thread.ts');
