import {
  MAX_FILES,
  MAX_TOTAL_FILE_BYTES,
  PayloadTooLargeError,
  type SourceFile,
  safeRelativePath,
  ValidationError,
} from '@aperture/core';
import yauzl from 'yauzl';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
/** Deflate rarely exceeds 20:1 on source code; zip bombs reach 1000:1 and more. */
const MAX_RATIO = 200;

export interface ZipLimits {
  maxFiles: number;
  maxTotalBytes: number;
}

/**
 * Unpack a submitted zip into files, refusing what could hurt: paths that climb out ("zip slip"),
 * absolute paths, symlinks, encrypted entries, too many entries, and zip bombs. Sizes are counted
 * while inflating, so a lying header cannot get more bytes past the limit.
 */
export function extractZip(
  buffer: Buffer,
  limits: ZipLimits = { maxFiles: MAX_FILES, maxTotalBytes: MAX_TOTAL_FILE_BYTES },
) {
  return new Promise<SourceFile[]>((resolve, reject) => {
    yauzl.fromBuffer(
      buffer,
      { lazyEntries: true, validateEntrySizes: true, strictFileNames: false },
      (openError, zip) => {
        if (openError || !zip)
          return reject(new ValidationError(`The upload is not a valid zip: ${openError?.message}`));
        const files: SourceFile[] = [];
        let total = 0;
        const fail = (error: Error) => {
          zip.close();
          reject(error);
        };
        zip.on('error', (error: Error) => fail(new ValidationError(`The zip is damaged: ${error.message}`)));
        zip.on('end', () => resolve(stripCommonRoot(files)));
        zip.on('entry', (entry: yauzl.Entry) => {
          try {
            const kind = (entry.externalFileAttributes >>> 16) & S_IFMT;
            if (entry.fileName.endsWith('/') || kind === S_IFDIR) return zip.readEntry();
            if (kind === S_IFLNK)
              throw new ValidationError(
                `The zip contains a symbolic link "${entry.fileName}"; links are not allowed.`,
              );
            if ((entry.generalPurposeBitFlag & 0x1) !== 0)
              throw new ValidationError(`"${entry.fileName}" is encrypted.`);
            if (isJunk(entry.fileName)) return zip.readEntry();
            const path = safeRelativePath(entry.fileName);
            if (files.length >= limits.maxFiles)
              throw new ValidationError(`The zip has more than ${limits.maxFiles} files.`);
            if (entry.compressedSize > 0 && entry.uncompressedSize / entry.compressedSize > MAX_RATIO) {
              throw new PayloadTooLargeError(
                `"${path}" inflates more than ${MAX_RATIO}:1; this looks like a zip bomb.`,
              );
            }
            if (total + entry.uncompressedSize > limits.maxTotalBytes) throw tooLarge(limits);
            zip.openReadStream(entry, (streamError, stream) => {
              if (streamError || !stream)
                return fail(new ValidationError(`Cannot read "${path}": ${streamError?.message}`));
              const chunks: Buffer[] = [];
              stream.on('data', (chunk: Buffer) => {
                total += chunk.length;
                if (total > limits.maxTotalBytes) {
                  stream.destroy();
                  fail(tooLarge(limits));
                  return;
                }
                chunks.push(chunk);
              });
              stream.on('error', (error: Error) =>
                fail(new ValidationError(`Cannot read "${path}": ${error.message}`)),
              );
              stream.on('end', () => {
                files.push({ path, contentBase64: Buffer.concat(chunks).toString('base64') });
                zip.readEntry();
              });
            });
          } catch (error) {
            fail(error as Error);
          }
        });
        zip.readEntry();
      },
    );
  });
}

const tooLarge = (limits: ZipLimits) =>
  new PayloadTooLargeError(`The zip unpacks to more than ${limits.maxTotalBytes} bytes.`, {
    maxBytes: limits.maxTotalBytes,
  });

/** macOS and editors add these; they are never part of a submission. */
function isJunk(name: string): boolean {
  return name.startsWith('__MACOSX/') || name.split('/').some((s) => s === '.DS_Store');
}

/** "hw1/main.py, hw1/util.py" → "main.py, util.py": students often zip the folder, not its contents. */
function stripCommonRoot(files: SourceFile[]): SourceFile[] {
  const firstSegments = new Set(files.map((f) => (f.path.includes('/') ? f.path.split('/')[0] : '')));
  const [root] = [...firstSegments];
  if (files.length === 0 || firstSegments.size !== 1 || !root) return files;
  return files.map((f) => ({ ...f, path: f.path.slice(root.length + 1) }));
}
