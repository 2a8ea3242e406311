import { spawn } from 'node:child_process';
import type { EmbeddedDynamo } from '../../src/embedded/dynalite.js';
import { ROOT } from './process.js';

const SCRIPT = `
const server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/**
 * dynalite in a process of its own, in memory: a single view that does not
 * share the test's event loop, as a real DynamoDB would not. Used where a
 * test loads the gateway hard enough that an in-process dynalite would be the
 * bottleneck (fault survival, shared rate limits).
 */
/** A DynamoDB endpoint to close; stats() is the embedded one's only. */
export type DynaliteProcess = Pick<EmbeddedDynamo, 'endpoint' | 'close'>;

export async function startDynaliteProcess(): Promise<DynaliteProcess> {
  const child = spawn(process.execPath, ['-e', SCRIPT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /port (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`dynalite exited with code ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
