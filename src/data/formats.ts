/** Which directory entries are images, and which are noise left by tools (Finder, Jupyter, Windows). */

/** Extensions (lower case, without dot) of formats sharp decodes that appear in photo collections. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  'jpg', 'jpeg', 'jpe', 'jfif', 'png', 'gif', 'webp', 'tif', 'tiff', 'bmp', 'avif', 'heic', 'heif',
]);

/** Files that look like images to a glob but are thumbnails databases written by Windows. */
const IGNORED_NAMES: ReadonlySet<string> = new Set(['thumbs.db', 'desktop.ini']);

/** Hidden entries (`.DS_Store`, `.ipynb_checkpoints`, `._foo.jpg` AppleDouble files, dotfiles). */
export function isIgnoredEntry(name: string): boolean {
  return name.startsWith('.') || IGNORED_NAMES.has(name.toLowerCase());
}

/** Lower-case extension without the dot, '' when there is none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** True when the file name has an image extension, matched case-insensitively (`IMG_01.JPG`). */
export function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extensionOf(name));
}
