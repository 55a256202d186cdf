/**
 * A JSON file that is (re)loaded when it changes. Built for Kubernetes ConfigMap/Secret volumes,
 * where kubelet writes a new timestamped directory and atomically swaps the `..data` symlink: the
 * parent directory is watched (`fs.watch`, which sees the swap), and a periodic `stat` of the path
 * (following symlinks: inode, size, mtime) catches what watch events miss. Content is compared by
 * sha256, so unchanged files are not reloaded. A file that fails to read or validate is rejected
 * and the previous value stays in effect.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, promises as fsp, watch } from 'node:fs';
import { dirname } from 'node:path';

export interface WatchedJsonFileOptions<T> {
  readonly path: string;
  /** Validates the parsed JSON; throws on invalid content. */
  readonly parse: (json: unknown) => T;
  /** Called with each new valid value (also the first one). */
  readonly onLoad: (value: T, previous: T | undefined) => void;
  /** Called when the file cannot be read, is not JSON or fails validation. */
  readonly onReject: (error: Error) => void;
  /** Stat fallback interval. Default 2000 ms. */
  readonly pollIntervalMs?: number;
  /** Delay after a watch event before reading (events come in bursts). Default 25 ms. */
  readonly debounceMs?: number;
}

export class WatchedJsonFile<T> {
  private current: T | undefined;
  private contentHash: string | undefined;
  private statKey: string | undefined;
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly options: WatchedJsonFileOptions<T>) {}

  get value(): T | undefined {
    return this.current;
  }

  /** Loads once, then starts watching. Resolves after the first load attempt (valid or not). */
  async start(): Promise<void> {
    await this.reload();
    if (this.closed) return;
    try {
      this.watcher = watch(dirname(this.options.path), { persistent: false }, () => this.schedule());
      this.watcher.on('error', () => undefined); // the poller still runs
    } catch {
      // directory missing or not watchable: polling only
    }
    this.poller = setInterval(() => void this.poll(), this.options.pollIntervalMs ?? 2000);
    this.poller.unref();
  }

  /** Reads the file now (also used by the watcher and poller); concurrent calls are coalesced. */
  reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again && !this.closed);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.poller) clearInterval(this.poller);
    if (this.debounce) clearTimeout(this.debounce);
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), this.options.debounceMs ?? 25);
    this.debounce.unref();
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    const key = await statKey(this.options.path);
    if (key !== this.statKey) await this.reload();
  }

  private async readOnce(): Promise<void> {
    const key = await statKey(this.options.path);
    let text: string;
    try {
      text = await fsp.readFile(this.options.path, 'utf8');
    } catch (error) {
      this.statKey = key;
      this.options.onReject(error as Error);
      return;
    }
    this.statKey = key;
    const hash = createHash('sha256').update(text).digest('hex');
    if (hash === this.contentHash) return;
    this.contentHash = hash;
    let value: T;
    try {
      value = this.options.parse(JSON.parse(text));
    } catch (error) {
      this.options.onReject(error as Error);
      return;
    }
    if (this.closed) return;
    const previous = this.current;
    this.current = value;
    this.options.onLoad(value, previous);
  }
}

async function statKey(path: string): Promise<string> {
  try {
    const s = await fsp.stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
