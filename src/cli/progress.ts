// A small progress bar on standard error, drawn only on a terminal (and at most every 100 ms).
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

export function progressBar(
  total: number,
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY || total < 2) return { tick() {}, done() {} };
  let count = 0;
  let last = 0;
  const started = Date.now();
  const draw = () => {
    const cols = Math.max(20, Math.min(40, (stream.columns ?? 80) - 50));
    const frac = total === 0 ? 1 : count / total;
    const filled = Math.round(frac * cols);
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? Math.round(count / secs) : 0;
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${'-'.repeat(cols - filled)}] ${count}/${total} ${Math.floor(frac * 100)}% ${rate}/s\u001b[K`,
    );
  };
  return {
    tick(n = 1) {
      count += n;
      const now = Date.now();
      if (now - last >= 100 || count >= total) {
        last = now;
        draw();
      }
    },
    done() {
      draw();
      stream.write('\n');
    },
  };
}
