// The registry this machine reaches lacks some platform builds that packages list as optional
// dependencies (biome's musl, android, darwin and win32 binaries): `npm install` skips them and
// leaves them out of package-lock.json, and `npm ci` then refuses the lock as out of sync. This
// adds those entries, platform-restricted, so `npm ci` accepts the lock and skips them as it
// would on any other machine. Run after changing dependencies:
// `npm install && node scripts/fix-lock-optional.mjs`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const pkgs = lock.packages;
let added = 0;

function registryView(name, version) {
  try {
    return JSON.parse(
      execFileSync(
        'npm',
        [
          'view',
          `${name}@${version}`,
          'version',
          'dist.integrity',
          'os',
          'cpu',
          'libc',
          'license',
          'engines',
          '--json',
        ],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      ),
    );
  } catch {
    return undefined;
  }
}

/** `…-<os>-<cpu>[-musl]`, the naming every platform-binary package here follows. */
function platformFromName(name, version) {
  const m = /-(android|darwin|linux|win32|freebsd)-(arm64|x64|ia32|arm)(-musl)?$/.exec(name);
  if (!m)
    throw new Error(
      `${name}@${version} is missing from the registry and its platform cannot be read from its name`,
    );
  return {
    version,
    os: m[1],
    cpu: m[2],
    ...(m[3] ? { libc: 'musl' } : m[1] === 'linux' ? { libc: 'glibc' } : {}),
  };
}
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pkgs[key] || pkgs[`${path}/node_modules/${name}`]) continue;
    const view = registryView(name, version) ?? platformFromName(name, version);
    pkgs[key] = {
      version: view.version,
      ...(view['dist.integrity'] ? { integrity: view['dist.integrity'] } : {}),
      ...(view.cpu ? { cpu: [].concat(view.cpu) } : {}),
      ...(meta.dev ? { dev: true } : {}),
      ...(view.libc ? { libc: [].concat(view.libc) } : {}),
      ...(view.license ? { license: view.license } : {}),
      optional: true,
      ...(view.os ? { os: [].concat(view.os) } : {}),
      ...(view.engines ? { engines: view.engines } : {}),
    };
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`added ${added} missing optional package entries\n`);
