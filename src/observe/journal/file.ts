/**
 * A journal file: JSON lines appended in the background, rotated by size. `append()` only
 * queues the line and returns, so a slow or failing disk never holds the data path; the queue
 * is bounded (lines beyond it are counted and dropped), and a failure is reported once until a
 * write succeeds again. Every connection that names the same path shares one writer, so lines
 * from many connections never interleave mid-line and rotation happens once.
 *
 * Rotation keeps `keep` older files, `file.1` the newest: before a line would take the file
 * past `maxBytes`, `file.<keep-1>` becomes `file.<keep>` (the oldest is overwritten), …,
 * `file` becomes `file.1`, and a new `file` starts (logrotate's numbering).
 */

import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Most bytes waiting for the disk; lines beyond are dropped (and counted) rather than held. */
const MAX_PENDING_BYTES = 1024 * 1024;

/** How a journal file is written. */
export interface JournalFileOptions {
  maxBytes: number;
  keep: number;
  /** Told of a failing disk once (until a write succeeds again); the writer goes on. */
  onError(error: Error): void;
}

/** One file's writer. Use {@link acquireJournalFile}: writers are shared by path. */
export class JournalFile {
  readonly path: string;
  readonly #options: JournalFileOptions;
  #pending: string[] = [];
  #pendingBytes = 0;
  #handle: FileHandle | undefined;
  /** The open file's size; undefined while closed. */
  #size: number | undefined;
  #writing: Promise<void> | undefined;
  #failing = false;
  /** Lines dropped: the queue was full, or the disk refused them. */
  dropped = 0;

  constructor(path: string, options: JournalFileOptions) {
    this.path = path;
    this.#options = options;
  }

  /** Queues one line (without its newline); returns at once. */
  append(line: string): void {
    const text = `${line}\n`;
    if (this.#pendingBytes + text.length > MAX_PENDING_BYTES) {
      this.dropped += 1;
      return;
    }
    this.#pending.push(text);
    this.#pendingBytes += text.length;
    this.#writing ??= this.#drain();
  }

  /** Resolves once every line queued so far is on disk (or dropped). */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  /** Flushes, then closes the file. */
  async close(): Promise<void> {
    await this.flush();
    await this.#closeHandle();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const lines = this.#pending;
        this.#pending = [];
        this.#pendingBytes = 0;
        try {
          await this.#write(lines);
          this.#failing = false;
        } catch (error) {
          this.dropped += lines.length;
          await this.#closeHandle();
          if (!this.#failing) {
            this.#failing = true;
            this.#options.onError(error instanceof Error ? error : new Error(String(error)));
          }
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #write(lines: string[]): Promise<void> {
    let chunk = '';
    let chunkBytes = 0;
    let size = this.#size ?? (await this.#open());
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (size + chunkBytes + bytes > this.#options.maxBytes && size + chunkBytes > 0) {
        if (chunk !== '') await this.#handle?.write(chunk);
        chunk = '';
        chunkBytes = 0;
        size = await this.#rotate();
      }
      chunk += line;
      chunkBytes += bytes;
    }
    if (chunk !== '') await this.#handle?.write(chunk);
    this.#size = size + chunkBytes;
  }

  /** Opens (creating, mode 0600) the file for appending; returns its size. */
  async #open(): Promise<number> {
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, 'a', 0o600);
    this.#handle = handle;
    this.#size = (await handle.stat()).size;
    return this.#size;
  }

  async #rotate(): Promise<number> {
    await this.#closeHandle();
    const keep = this.#options.keep;
    for (let i = keep - 1; i >= 1; i -= 1)
      await renameIfPresent(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    if (keep > 0) await renameIfPresent(this.path, `${this.path}.1`);
    else await unlink(this.path).catch(ignoreMissing);
    return this.#open();
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    this.#size = undefined;
    await handle?.close().catch(() => {});
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  await rename(from, to).catch(ignoreMissing);
}

const shared = new Map<string, { file: JournalFile; users: number }>();

/** A share of a journal file's writer; `release()` once, when done. */
export interface JournalFileLease {
  readonly file: JournalFile;
  /** Gives the share back; the last one flushes and closes the file. */
  release(): Promise<void>;
}

/**
 * The writer of `path` (resolved), shared by every connection of the process that names it.
 * The first to open it sets `maxBytes`, `keep` and who hears of a failing disk.
 */
export function acquireJournalFile(path: string, options: JournalFileOptions): JournalFileLease {
  const absolute = resolve(path);
  let entry = shared.get(absolute);
  if (entry === undefined) {
    entry = { file: new JournalFile(absolute, options), users: 0 };
    shared.set(absolute, entry);
  }
  entry.users += 1;
  const held = entry;
  let released = false;
  return {
    file: held.file,
    release: async () => {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users > 0) return held.file.flush();
      if (shared.get(absolute) === held) shared.delete(absolute);
      await held.file.close();
    },
  };
}
