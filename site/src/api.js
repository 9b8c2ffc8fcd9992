// The site's API, behind the same CloudFront distribution and gate (paths [[apis]] in
// gate.toml). Calls go through the gate-session fetch: the gate adds the bearer token.
export const API_PATHS = Object.freeze({
  reports: '/api/reports',
  adminStats: '/api/admin/stats',
});

/**
 * GET a JSON resource from the API. Resolves (never rejects) to one of
 *   { status: 'ok', data }
 *   { status: 'unavailable' }    no API here (404, or the site's index.html fallback)
 *   { status: 'signedOut' }      401: the session has ended
 *   { status: 'forbidden', required }  403 from the gate or the API
 *   { status: 'error', reason }  network failure, 5xx, unexpected answer
 */
export async function getJson(fetchImpl, path) {
  let response;
  try {
    response = await fetchImpl(path, {
      method: 'GET',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
  } catch {
    return { status: 'error', reason: 'The network request failed.' };
  }
  const type = response.headers.get('content-type') || '';
  const isJson = type.includes('json');
  if (response.status === 401) return { status: 'signedOut' };
  if (response.status === 403 && isJson) {
    const body = await response.json().catch(() => null);
    const required = body && Array.isArray(body.required) ? body.required : [];
    return { status: 'forbidden', reason: body && body.reason, required };
  }
  // A site deployed without the API: S3's 404 (403 without s3:ListBucket) reaches this fetch as
  // it is (the gate sends only page navigations to /index.html). A distribution associated by
  // hand may still map 403/404 to index.html with 200, so "not JSON" also means "no API here".
  if (response.status === 404 || response.status === 403 || (response.ok && !isJson)) return { status: 'unavailable' };
  if (!response.ok) return { status: 'error', reason: `The API answered with status ${response.status}.` };
  try {
    return { status: 'ok', data: await response.json() };
  } catch {
    return { status: 'error', reason: 'The API’s answer was not JSON.' };
  }
}
