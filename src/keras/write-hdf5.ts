import { UserError } from '../errors.ts';
import { atomicWrite } from '../util/atomic.ts';
import { hdf5Reason, loadH5, type File } from './h5.ts';

/**
 * Create the HDF5 file `path` atomically: `fill` writes into a fresh file at a temp path, which is
 * closed and renamed over `path` only when `fill` succeeds. h5wasm failures become one-line
 * UserErrors naming `path`; UserErrors from `fill` pass through unchanged.
 */
export async function writeHdf5Atomic(path: string, fill: (h5: File) => void): Promise<void> {
  const h5wasm = await loadH5();
  await atomicWrite(path, async (temp) => {
    let h5: File;
    try {
      h5 = new h5wasm.File(temp, 'w');
    } catch (err) {
      throw new UserError(`${path}: cannot create HDF5 file (${hdf5Reason(err)})`);
    }
    try {
      fill(h5);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`${path}: writing HDF5 failed (${hdf5Reason(err)})`);
    } finally {
      h5.close();
    }
  });
}
