/**
 * The paid-api example as a user runs it: `pnpm --dir apps/paid-api start` and
 * `pnpm --dir apps/paid-api keys …` from the repository root, as child processes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Builds the example and the workspace packages it imports (their `build` scripts). */
export function buildExample(): void {
  execFileSync('pnpm', ['--filter', '@twofa-kit/example-paid-api...', 'run', 'build'], { cwd: ROOT, stdio: 'ignore' });
}

/** The environment a child gets: this one without the variables the example reads, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(out)) {
    if (/^(DATABASE_URL|REDIS_|TWOFA_|PAID_API_|KEY_CACHE_|DASHBOARD_|PORT$|HOST$)/.test(name)) delete out[name];
  }
  return { ...out, ...env };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `pnpm --dir apps/paid-api keys ...args`, with `input` on its standard input. */
export function keys(args: readonly string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['--dir', 'apps/paid-api', 'keys', ...args], {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface RunningServer {
  readonly url: string;
  readonly output: () => string;
  /** Ends the server: SIGTERM (a graceful stop) unless another signal is given (SIGKILL: a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `pnpm --dir apps/paid-api start` on a free port; resolves once it prints where it listens. */
export function startServer(env: Record<string, string>, timeoutMs = 120_000): Promise<RunningServer> {
  const child: ChildProcess = spawn('pnpm', ['--dir', 'apps/paid-api', 'start'], {
    cwd: ROOT,
    env: childEnv({ PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() ends pnpm and the node server under it
  });
  let output = '';
  const stopGroup = (signal: NodeJS.Signals = 'SIGTERM') => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {}
  };
  process.once('exit', () => stopGroup());
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopGroup();
      reject(new Error(`the server did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      output += d;
      const m = /listening on (http:\/\/\S+)\n/.exec(output);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          output: () => output,
          stop: async (signal) => {
            stopGroup(signal);
            await exited;
            // pnpm may end before the server under it: wait until the whole group is gone.
            while (child.pid !== undefined && groupAlive(child.pid)) await new Promise((r) => setTimeout(r, 20));
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (output += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${output}`));
    });
  });
}
