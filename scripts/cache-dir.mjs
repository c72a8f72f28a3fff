// Ferry's cache folder, as src/config/environment.ts computes it: $FERRY_CACHE_DIR, else
// $XDG_CACHE_HOME/ferry, else ~/.cache/ferry (the build scripts run before src/ is compiled).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function ferryCacheDir() {
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return resolve(process.env.FERRY_CACHE_DIR || join(xdg, 'ferry'));
}
