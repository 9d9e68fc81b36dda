import type { DeviceContext } from './types.js';
import type { CompiledRule } from './compile.js';
import type { MachineState } from './machine.js';
import type { Timed } from './timers.js';

/**
 * The live state of one (rule, subject): the grade machine, the timer bookkeeping and what the
 * condition remembers. Device states belong to a device entry; k-of-n rules keep one block state
 * per block prefix, with a member per device.
 */
abstract class SubjectState implements MachineState, Timed {
  c = 0;
  since: number[] | null = null;
  down: number[] | null = null;
  /** The state's clock: the last instant it stepped. Its time never goes back. */
  lastT = -Infinity;
  due = Infinity;
  heapDue = Infinity;
  gen = 0;
  alive = true;
  dirty = false;

  constructor(readonly rule: CompiledRule) {}

  abstract get subjectKey(): string;
  abstract get partition(): string;

  private fp: string | undefined;

  /** Cached: the timer heap compares it on every tie. */
  get fingerprint(): string {
    return (this.fp ??= `${this.rule.id}/${this.subjectKey}`);
  }

  sortKey(): string {
    return this.fingerprint;
  }
}

/** Dedupe keys per metric slot: [timeUs, seq] pairs. A fresh slot takes any reading. */
export function freshKeys(slots: number): number[] {
  const keys = new Array<number>(slots * 2);
  for (let i = 0; i < slots; i++) {
    keys[2 * i] = -1;
    keys[2 * i + 1] = -2;
  }
  return keys;
}

/** True (and the key recorded) when (timeUs, seq) comes after the slot's last applied key. */
export function takeKey(keys: number[], slot: number, timeUs: number, seq: number): boolean {
  const i = slot * 2;
  const kt = keys[i] as number;
  if (timeUs < kt || (timeUs === kt && seq <= (keys[i + 1] as number))) return false;
  keys[i] = timeUs;
  keys[i + 1] = seq;
  return true;
}

export class DeviceState extends SubjectState {
  keys: number[];
  mem: unknown;

  constructor(
    rule: CompiledRule,
    readonly device: { readonly id: string; ctx: DeviceContext },
  ) {
    super(rule);
    this.keys = freshKeys(rule.keySlots);
    this.mem = rule.cond.init();
  }

  get subjectKey(): string {
    return this.device.id;
  }

  get partition(): string {
    return this.device.ctx.blockCode;
  }
}

/** One device's part in a k-of-n block: its `of` memory and when `of` last held. */
export class Member {
  keys: number[];
  mem: unknown;
  /** `of` holds now (as of the device's last reading). */
  held = false;
  /** When `of` last held (ms), or -1. */
  lastHeld = -1;

  constructor(
    readonly block: BlockState,
    readonly deviceId: string,
  ) {
    this.keys = freshKeys(block.rule.keySlots);
    this.mem = block.rule.cond.init();
  }
}

/** The device a block transition names: the last one that counted or reported. */
export interface BlockDevice {
  deviceId: string;
  kind: string;
  blockCode: string;
  exercise: boolean;
}

export class BlockState extends SubjectState {
  readonly members = new Map<string, Member>();
  last: BlockDevice | null = null;

  constructor(
    rule: CompiledRule,
    readonly prefix: string,
  ) {
    super(rule);
  }

  get subjectKey(): string {
    return `block:${this.prefix}`;
  }

  get partition(): string {
    return this.prefix;
  }
}

export type AnyState = DeviceState | BlockState;
