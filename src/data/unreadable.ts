/**
 * Unreadable images, identified by PATH: a content hash is a cache key, not an identity (two empty
 * `.jpg` files in two classes share a hash but are two unreadable images). Every consumer — `check`,
 * each strategy, `advise`, `extract`, `cache-bottlenecks`, `predict`, `evaluate` — reports them with
 * this one type and drops them with `withoutUnreadable`.
 */
import { lstat, readlink } from 'node:fs/promises';

/** An image that cannot be used, with the reason in words. */
export interface UnreadableImage {
  path: string;
  reason: string;
}

/** Why a file that could not be opened cannot be read (a dangling symlink says where it points). */
export async function missingFileReason(path: string): Promise<string> {
  const link = await lstat(path).then((s) => s.isSymbolicLink(), () => false);
  if (link) return `dangling symbolic link (its target ${await readlink(path).catch(() => '?')} does not exist)`;
  return 'file not found or not readable';
}

/** The one line every command prints for a skipped image. */
export function describeUnreadable(u: UnreadableImage): string {
  return `skipped unreadable ${u.path}: ${u.reason}`;
}

/** `items` without the unreadable paths, order kept. */
export function withoutUnreadable<T extends { path: string }>(items: readonly T[], unreadable: readonly UnreadableImage[]): T[] {
  const bad = new Set(unreadable.map((u) => u.path));
  return items.filter((i) => !bad.has(i.path));
}

/** One entry per path (each augmented copy of a bad file fails on its own), in first-seen order. */
export function uniqueByPath(unreadable: readonly UnreadableImage[]): UnreadableImage[] {
  return [...new Map(unreadable.map((u) => [u.path, u] as const)).values()];
}
