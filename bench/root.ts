/** The repository's root, for the benchmarks and the tests that import them. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository (this file runs from bench/ under vitest, from dist/bench/ built). */
export const ROOT = here.split('/').at(-2) === 'dist' ? join(here, '..', '..') : join(here, '..');
