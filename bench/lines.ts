/** Each line a child process writes to a stream (its JSON log), as it arrives. */
import type { Readable } from 'node:stream';

export function eachLine(stream: Readable, fn: (line: string) => void): void {
  let buf = '';
  stream.on('data', (c: Buffer) => {
    buf += c.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      fn(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}
