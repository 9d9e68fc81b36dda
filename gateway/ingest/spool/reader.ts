import { open, type FileHandle } from 'node:fs/promises';
import { errno } from './checkpoint-file.js';
import { scanSegment, type ScanEvent, type SpoolRecord } from './scan.js';
import { segmentPath, type Segment } from './segments.js';

/** What the reader needs to see of a live spool. */
export interface ReaderView {
  readonly dir: string;
  /** The live, ordered segment list; it changes while a reader runs (roll, reclaim). */
  readonly segments: readonly Segment[];
  /** Last durable LSN right now. */
  lastLsn(): number;
  /** A damaged region met while reading; `lsnGap` is how many LSNs it may have cost. */
  reportSkip(seg: Segment, ev: Extract<ScanEvent, { kind: 'skipped' }>, lsnGap: number): void;
}

/** Index of the segment that holds `lsn` (or the first one after it), -1 when none can. */
function segmentFor(segments: readonly Segment[], lsn: number): number {
  if (segments.length === 0) return -1;
  let i = 0;
  while (i + 1 < segments.length && segments[i + 1]!.base <= lsn) i++;
  return i;
}

/**
 * Yields durable records with LSN ≥ `from`, in order, in batches of at most `maxRecords`, and
 * ends at the durable end of the log as it stands when the reader gets there. Segments
 * deleted by a concurrent checkpoint are skipped; only bytes covered by a completed fsync are
 * read, so an append in flight is never seen half-written.
 */
export async function* readBatches(view: ReaderView, from: number, maxRecords: number): AsyncGenerator<SpoolRecord[]> {
  let next = Math.max(1, from);
  // Where the previous pass stopped, to resume inside the active segment without rescanning.
  let pos: { seg: Segment; offset: number; lastLsn: number } | undefined;
  for (;;) {
    if (next > view.lastLsn()) return;
    const i = segmentFor(view.segments, next);
    const seg = view.segments[i];
    if (seg === undefined) return;
    const resume = pos?.seg === seg ? pos : undefined;
    let offset = resume?.offset ?? 0;
    let lastGood = resume?.lastLsn ?? seg.base - 1;
    const end = seg.size;

    let fh: FileHandle | undefined;
    if (offset < end) {
      try {
        fh = await open(segmentPath(view.dir, seg.base), 'r');
      } catch (err) {
        if (errno(err) === 'ENOENT' && !view.segments.includes(seg)) continue; // reclaimed meanwhile
        throw err;
      }
    }
    try {
      if (fh) {
        for await (const ev of scanSegment(fh, { start: offset, end, minLsn: lastGood + 1 })) {
          if (ev.kind === 'skipped') {
            const after = ev.resumeLsn ?? view.segments[view.segments.indexOf(seg) + 1]?.base ?? lastGood + 1;
            view.reportSkip(seg, ev, Math.max(0, after - lastGood - 1));
            offset = ev.offset + ev.bytes;
            continue;
          }
          offset = ev.end;
          const last = ev.records.at(-1);
          if (last) lastGood = last.lsn;
          let records = ev.records;
          if (records.length > 0 && records[0]!.lsn < next) records = records.filter((r) => r.lsn >= next);
          for (let k = 0; k < records.length; k += maxRecords) yield records.slice(k, k + maxRecords);
          if (last && last.lsn >= next) next = last.lsn + 1;
        }
      }
    } finally {
      await fh?.close();
    }
    pos = { seg, offset, lastLsn: lastGood };

    const idx = view.segments.indexOf(seg);
    if (idx === -1) continue; // reclaimed while we read it
    // More was committed to this segment while we read it (perhaps before a roll): read that
    // before moving on, or a long-lived reader would skip it.
    if (seg.size > end) continue;
    const following = view.segments[idx + 1];
    if (following) {
      next = Math.max(next, following.base);
      continue;
    }
    return;
  }
}
