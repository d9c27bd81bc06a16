// A one-line progress bar per image on stderr. On a terminal it redraws in place; in a
// log (CI, pipes) it prints a line at 0, 25, 50, 75 and 100 %. esptool-js reports bytes
// sent, which are compressed bytes: the bar measures the upload, not the flash write.

function formatLine(name, offset, written, total, width) {
  const fraction = total > 0 ? Math.min(1, written / total) : 1;
  const filled = Math.round(fraction * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const pct = String(Math.floor(fraction * 100)).padStart(3);
  const kb = (n) => (n / 1024).toFixed(1);
  return `${name.padEnd(22)} 0x${offset.toString(16).padStart(6, '0')} [${bar}] ${pct}% ${kb(written)}/${kb(total)} KiB`;
}

export function createProgress({ stream = process.stderr, width = 30 } = {}) {
  const tty = !!stream.isTTY;
  let current = null;
  let lastStep = -1;
  return {
    /** reportProgress-style callback for one image */
    update(image, written, total) {
      if (current !== image) {
        current = image;
        lastStep = -1;
      }
      const line = formatLine(image.name, image.offset, written, total, width);
      const done = written >= total;
      if (tty) {
        stream.write(`\r${line}${done ? '\n' : ''}`);
        return;
      }
      const step = total > 0 ? Math.floor((written / total) * 4) : 4;
      if (step !== lastStep) {
        lastStep = step;
        stream.write(line + '\n');
      }
    },
  };
}

export { formatLine };
