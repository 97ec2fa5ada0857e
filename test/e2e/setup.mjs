// Installs what the end-to-end tests need, idempotently and cached (`npm test` runs it):
//   - Debian packages, only when missing (apt-get update + install, as root; otherwise an error
//     that names them): chromium (/usr/bin/chromium); and when code-server must be installed,
//     ripgrep build-essential pkg-config libkrb5-dev python3
//   - code-server 4.100.3 into $CFS_CACHE_DIR/code-server-4.100.3 (default <repo>/.cache/...)
// Env: CFS_CACHE_DIR (cache root, default <repo>/.cache), CFS_CHROMIUM (default /usr/bin/chromium).
// Usage: node test/e2e/setup.mjs [--server-only]   (--server-only: no chromium, what npm start needs)
// The work is done by scripts/e2e-lib.mjs, which `npm start` shares.
import { ensureSystemPackages, ensureCodeServer, codeServerDir, CHROMIUM_PATH } from '../../scripts/e2e-lib.mjs';

const serverOnly = process.argv.includes('--server-only');
const t0 = Date.now();
try {
  const tApt = Date.now();
  const added = await ensureSystemPackages({ chromium: !serverOnly, build: false });
  const aptSeconds = (Date.now() - tApt) / 1000;
  const cs = await ensureCodeServer();
  console.log(
    `[e2e setup] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
    `system packages ${added.length ? `installed ${added.join(' ')} (${aptSeconds.toFixed(1)} s)` : 'present'}; ` +
    `code-server ${cs.installed ? `installed (${cs.seconds.toFixed(1)} s)` : 'cached'} in ${codeServerDir()}` +
    (serverOnly ? '' : `; browser ${CHROMIUM_PATH}`),
  );
} catch (e) {
  console.error(`[e2e setup] failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
