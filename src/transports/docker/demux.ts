/**
 * Docker's multiplexed attach stream (no TTY): frames of an 8-byte header (stream type 1 for
 * stdout, 2 for stderr, three zero bytes, the payload length as a big-endian u32) and the
 * payload. Payloads are handed on as views of the chunks they arrived in, never copied or
 * re-concatenated (docker-modem's `demuxStream` concatenates its whole buffer on every chunk).
 *
 * @see https://docs.docker.com/reference/api/engine/version/v1.43/#tag/Container/operation/ContainerAttach
 */

const HEADER_BYTES = 8;

/** Where the payloads go. A frame of another type (stdin echo, garbage) goes to `onInvalid`. */
export interface DemuxTargets {
  stdout(chunk: Uint8Array): void;
  stderr(chunk: Uint8Array): void;
  /** A header with an unknown stream type: the stream is not multiplexed, or misaligned. */
  invalid(type: number): void;
}

/** Returns a function to feed with the attach stream's chunks. */
export function createDemuxer(targets: DemuxTargets): (chunk: Uint8Array) => void {
  const header = new Uint8Array(HEADER_BYTES);
  let headerFill = 0;
  /** Payload bytes left in the current frame, and where they go. */
  let left = 0;
  let target: ((chunk: Uint8Array) => void) | undefined;
  let broken = false;

  return (chunk) => {
    let offset = 0;
    while (offset < chunk.length && !broken) {
      if (left > 0) {
        const take = Math.min(left, chunk.length - offset);
        target?.(chunk.subarray(offset, offset + take));
        left -= take;
        offset += take;
        continue;
      }
      const take = Math.min(HEADER_BYTES - headerFill, chunk.length - offset);
      header.set(chunk.subarray(offset, offset + take), headerFill);
      headerFill += take;
      offset += take;
      if (headerFill < HEADER_BYTES) break;
      headerFill = 0;
      const type = header[0] as number;
      left =
        ((header[4] as number) << 24) |
        ((header[5] as number) << 16) |
        ((header[6] as number) << 8) |
        (header[7] as number);
      left >>>= 0;
      if (type === 1) target = targets.stdout;
      else if (type === 2) target = targets.stderr;
      else {
        broken = true;
        targets.invalid(type);
      }
    }
  };
}
