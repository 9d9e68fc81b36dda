/**
 * The little of the gateway's HTTP API the simulators need, over fetch, with errors that tell
 * a person what to do: gateway not running, token refused, request rejected (with its GW_ERR_*
 * code and the gateway's own message).
 */
export class GatewayApiError extends Error {
  /** HTTP status, or null when the gateway could not be reached at all. */
  readonly status: number | null;
  /** The gateway's GW_ERR_* code, or `UNREACHABLE` / `BAD_RESPONSE`. */
  readonly code: string;
  constructor(message: string, status: number | null, code: string) {
    super(message);
    this.name = 'GatewayApiError';
    this.status = status;
    this.code = code;
  }
}

export interface ApiClient {
  readonly baseUrl: string;
  request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T>;
}

/**
 * Runs `fn` again (twice at most, after 0.5 s and 1.5 s) when the gateway answered 5xx: a busy
 * gateway (database pool exhausted, restarting) should not abort a whole town's provisioning.
 * Callers only wrap requests that are safe to repeat.
 */
export async function withRetry<T>(fn: () => Promise<T>, onRetry?: (e: GatewayApiError, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof GatewayApiError) || e.status === null || e.status < 500 || attempt > 2) throw e;
      onRetry?.(e, attempt);
      await new Promise((r) => setTimeout(r, attempt === 1 ? 500 : 1500));
    }
  }
}

export function apiClient(opts: { baseUrl: string; token: string; timeoutMs?: number }): ApiClient {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  return {
    baseUrl,
    async request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
      const url = `${baseUrl}/api/v1${path}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${opts.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
        });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (e as Error).message;
        throw new GatewayApiError(`cannot reach the gateway at ${baseUrl} (${why}): is it running? Start it with \`npm start\`, or pass --url`, null, 'UNREACHABLE');
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        throw new GatewayApiError(`${method} ${url} answered ${res.status} with a body that is not JSON: is ${baseUrl} a CityOps gateway?`, res.status, 'BAD_RESPONSE');
      }
      if (res.ok) return json as T;
      const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      const code = err?.code ?? 'BAD_RESPONSE';
      const said = err?.message ?? text.slice(0, 200);
      if (res.status === 401) {
        throw new GatewayApiError(`the gateway refused the token (401 ${code}: ${said}); pass the admin token with --token or CITYOPS_ADMIN_TOKEN (npm start writes it to data/admin-token)`, 401, code);
      }
      if (res.status === 403) throw new GatewayApiError(`the token may not ${method} ${path} (403 ${code}: ${said}); use an admin or ops token`, 403, code);
      throw new GatewayApiError(`${method} ${path} failed: ${res.status} ${code}: ${said}`, res.status, code);
    },
  };
}
