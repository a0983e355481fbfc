/**
 * The query string with empty parameters left out: the contract writes its filters as
 * `?status=&newsletterId=&limit=&cursor=`, so a portal may send them empty, meaning "no filter".
 */
export function givenParams(query: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}
