/**
 * What the benchmark's processes say to each other over the fork IPC channel. Every child
 * answers a command with exactly one reply (or `error`), so the parent can await it.
 */
import type { BenchDevice } from './payloads.js';
import type { LatencySummary } from './stats.js';

export type Engine = 'raw' | 'mqttjs';

export interface Credentials {
  clientId: string;
  username?: string;
  password?: string;
}

export type LoadgenCommand =
  | { type: 'prepare'; devices: BenchDevice[]; poolPerDevice: number; nowMs: number }
  | { type: 'connect'; url: string; credentials: Credentials[]; window: number; unique: boolean; engine: Engine }
  | { type: 'go' }
  | { type: 'mark' }
  | { type: 'stop'; ackTimeoutMs: number };

export interface PublishWindow {
  seconds: number;
  sent: number;
  acked: number;
  ackedReadings: number;
  latency: LatencySummary;
}

export interface PublishTotals {
  sent: number;
  acked: number;
  ackedReadings: number;
  /** Sent but never acknowledged when the generator gave up waiting. */
  unacked: number;
  /** Connections whose pool of unique payloads ran out before the end. */
  exhausted: number;
  errors: string[];
}

export type LoadgenReply =
  | { type: 'prepared'; packets: number; bytes: number; seconds: number; meanReadings: number }
  | { type: 'connected'; seconds: number }
  | { type: 'going' }
  | { type: 'marked' }
  | { type: 'stopped'; window: PublishWindow; totals: PublishTotals }
  | { type: 'error'; message: string };

export type SubscriberCommand =
  | { type: 'connect'; url: string; filter: string }
  | { type: 'mark' }
  | { type: 'stop' }
  | { type: 'finish'; expect: number; quietMs: number; timeoutMs: number };

export type SubscriberReply =
  | { type: 'connected' }
  | { type: 'marked' }
  | { type: 'stopped'; seconds: number; received: number }
  | { type: 'finished'; total: number }
  | { type: 'error'; message: string };

export type GatewayCommand =
  | { type: 'drain'; timeoutMs: number }
  | { type: 'close' }
  /** V8 CPU profile of the measured window only (not start-up, not the drain after). */
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string };

export type GatewayReply =
  | { type: 'ready'; http: string; mqtt: string; adminToken: string; storage: string }
  | { type: 'drained'; rows: number; deadLetters: number; seconds: number; complete: boolean }
  | { type: 'closed' }
  | { type: 'profiling' }
  | { type: 'profiled'; file: string }
  | { type: 'error'; message: string };

export type BrokerReply = { type: 'ready'; port: number } | { type: 'closed' } | { type: 'error'; message: string };
export type BrokerCommand = { type: 'close' };
