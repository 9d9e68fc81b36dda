import { GatewayError } from '../core/errors.js';

/**
 * A subscription URL: http or https, a host, no `user:password@` (credentials belong in the
 * secret, and a URL is shown in answers and the audit log), no `#fragment` (never sent).
 * Returns the URL in its normal form; throws GW_ERR_VALIDATION naming `/url`.
 */
export function checkSubscriptionUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.username !== '' || url.password !== '') throw bad('must not carry a user name or password; the secret signs each delivery');
  if (url.hash !== '') throw bad('must not have a #fragment');
  if (url.hostname === '') throw bad('has no host');
  return url.href;
}

function bad(message: string): GatewayError {
  return new GatewayError('GW_ERR_VALIDATION', `subscription url ${message}`, [{ field: '/url', message }]);
}
