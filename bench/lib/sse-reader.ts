/** A bare SSE reader for the benchmark: calls back with each event the moment its blank line arrives. */
import { get } from 'node:http';

export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

export function readSse(url: string, token: string, onEvent: (e: SseEvent, atMs: number) => void): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE stream answered HTTP ${res.statusCode ?? '?'}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let pending = '';
      res.on('data', (chunk: string) => {
        const now = performance.now();
        const blocks = (pending + chunk).split('\n\n');
        pending = blocks.pop() ?? '';
        for (const block of blocks) {
          const e: SseEvent = { id: '', event: 'message', data: '' };
          for (const line of block.split('\n')) {
            const m = /^(id|event|data): ?(.*)$/.exec(line);
            if (m) e[m[1] as keyof SseEvent] = m[2] ?? '';
          }
          if (e.data !== '') onEvent(e, now);
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
