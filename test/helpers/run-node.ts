import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `node …nodeArgs` to completion (killed after a minute), collecting its output. */
export function runNode(nodeArgs: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { cwd: opts.cwd ?? process.cwd(), env: opts.env ?? process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
