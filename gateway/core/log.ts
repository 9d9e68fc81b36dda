import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino removes from every log line: secrets, passwords, tokens, phone numbers and names
 * (seed S13: visible sensitive data masked). Stream URLs with passwords are masked by
 * `maskUrl` before they are logged.
 */
export const redactPaths = [
  'password', '*.password', '*.*.password',
  'secret', '*.secret', '*.*.secret', 'feedbackSecret', '*.feedbackSecret', '*.*.feedbackSecret',
  'token', '*.token', 'apiKey', '*.apiKey', '*.key',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers["x-api-key"]',
  'phone', '*.phone', '*.*.phone', 'contacts', '*.contacts',
  'name', '*.personName', '*.contactName',
];

export interface LogOptions {
  level?: string;
  /** Pretty-print for a person at a terminal (npm start); JSON otherwise. */
  pretty?: boolean;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { service: 'cityops-gateway' },
  };
  if (opts.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } });
  }
  return pino(options);
}

/** Child logger for one component (`broker`, `ingest`, `storage`, ...). */
export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}

/** `rtsp://admin:secret@10.0.0.5/live` → `rtsp://admin:***@10.0.0.5/live`; also masks query secrets. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(k)) u.searchParams.set(k, '***');
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
