#!/usr/bin/env node
// The dashboard's browser tests drive a real Chromium: Debian's `chromium` package, installed here with
// apt-get when it is missing (CI machines start without it; playwright-core never downloads a browser).
// Its version follows Debian's security updates and cannot be pinned: it is printed, and the tests check
// the major version playwright-core was made for is not far from it. FERRY_CHROMIUM names another binary.
// Prints the binary's path on stdout.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const log = (l) => console.error(`ensure-chromium: ${l}`);
export const chromiumPath = () => process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

export function ensureChromium() {
  const bin = chromiumPath();
  if (!existsSync(bin)) {
    if (process.env.FERRY_CHROMIUM) throw new Error(`FERRY_CHROMIUM=${bin} does not exist`);
    log('installing Debian chromium (apt-get, about 80 MB)');
    const apt = (args) =>
      execFileSync('apt-get', args, {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    try {
      apt(['install', '-y', '-q', '--no-install-recommends', 'chromium']);
    } catch {
      // A fresh machine's package lists are empty or stale.
      apt(['update', '-q']);
      apt(['install', '-y', '-q', '--no-install-recommends', 'chromium']);
    }
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  log(`${bin}: ${version}`);
  return { path: bin, version };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(ensureChromium().path);
