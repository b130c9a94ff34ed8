import { open } from 'node:fs/promises';

/** What a file's leading bytes say it is. */
export type FileKind = 'hdf5' | 'zip' | 'empty' | 'other';

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const ZIP_SIGNATURES = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];

/**
 * Detect HDF5 or zip by magic bytes, never by extension (users rename `.keras` to `.h5` and back).
 * The HDF5 superblock may sit after a user block, at 0, 512, 1024, 2048, … bytes.
 */
export async function sniffFile(path: string): Promise<FileKind> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return 'empty';
    const head = Buffer.alloc(8);
    await handle.read(head, 0, 8, 0);
    if (ZIP_SIGNATURES.some((sig) => head.subarray(0, 4).equals(sig))) return 'zip';
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      const { bytesRead } = await handle.read(head, 0, 8, offset);
      if (bytesRead === 8 && head.equals(HDF5_SIGNATURE)) return 'hdf5';
    }
    return 'other';
  } finally {
    await handle.close();
  }
}
