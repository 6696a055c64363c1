/** Spawning benchmark children: each server runs in its own process and event loop. */
import { execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVERS = fileURLToPath(new URL('../servers.mjs', import.meta.url));

let bun;
/** Bun's executable, from npm (`npx -y bun@1`), found once. */
function bunPath() {
  bun ??= execFileSync('npx', ['-y', 'bun@1', '-e', 'console.log(process.execPath)'], { encoding: 'utf8' }).trim();
  return bun;
}

/**
 * Starts server `name` in a child process. Resolves to `{ name, port, child, heap(), stop() }`, or
 * `{ name, unavailable }` when the row cannot be built yet.
 */
export function spawnServer(name, { env = {}, execArgv = [], runtime = 'node' } = {}) {
  const child = fork(SERVERS, [name], {
    env: { ...process.env, NODE_ENV: 'production', ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(runtime === 'bun' ? { execPath: bunPath(), serialization: 'json' } : {}),
  });
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`server ${name} exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.once('message', (msg) => {
      child.off('exit', onExit);
      if (msg.ready) {
        resolve({
          name,
          port: msg.ready,
          child,
          cpu: () =>
            new Promise((res) => {
              child.once('message', (m) => res(m));
              child.send('cpu');
            }),
          heap: () =>
            new Promise((res) => {
              child.once('message', (m) => res(m));
              child.send('heap');
            }),
          stop: () =>
            new Promise((res) => {
              if (child.exitCode !== null) return res();
              child.once('exit', () => res());
              child.send('close');
              setTimeout(() => child.kill(), 3000).unref();
            }),
        });
      } else if (msg.unavailable) {
        resolve({ name, unavailable: msg.unavailable });
      } else {
        reject(new Error(`server ${name} failed: ${msg.failed}`));
      }
    });
  });
}

/** Runs `node [execArgv] file args` as a child and resolves to the JSON object it sends over IPC. */
export function runChild(file, args = [], { execArgv = [], env = {} } = {}) {
  const child = fork(fileURLToPath(new URL(`../${file}`, import.meta.url)), args, {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let result;
    child.on('message', (m) => {
      result = m;
    });
    child.once('exit', (code) =>
      code === 0 && result !== undefined ? resolve(result) : reject(new Error(`${file} exited with ${code}`)),
    );
  });
}
