/**
 * A real MIT Kerberos KDC for tests: the product's own (src/dev/kdc.ts, what
 * `novajoin dev --kerberos` runs) in a temporary directory that is removed
 * when it stops.
 */
import { startKdc as startKdcIn, type Kdc, type StartKdcOptions } from '../../src/dev/kdc.js';
import { makeTempDir, removeDir } from './tmp.js';

export type { Kdc } from '../../src/dev/kdc.js';

export async function startKdc(opts: Omit<StartKdcOptions, 'dir'> = {}): Promise<Kdc> {
  const dir = await makeTempDir('novajoin-kdc');
  try {
    const kdc = await startKdcIn({ ...opts, dir });
    return {
      ...kdc,
      async stop() {
        await kdc.stop();
        await removeDir(dir);
      },
    };
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
}
