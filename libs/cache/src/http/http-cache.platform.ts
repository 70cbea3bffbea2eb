/**
 * The few request and response members the HTTP cache uses, common to Express and Fastify (both have
 * `getHeader`, `header(name, value)` and `statusCode` on the response object the handler sees).
 */
export interface HttpRequestLike {
  method: string;
  url: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, unknown>;
  user?: unknown;
}

/** The response side (Express `Response` or Fastify `FastifyReply`). */
export interface HttpResponseLike {
  statusCode: number;
  getHeader(name: string): unknown;
  header(name: string, value: string): unknown;
  /** Node's own setter (Express); Fastify has only `header`. */
  setHeader?(name: string, value: string): unknown;
  headersSent?: boolean;
  sent?: boolean;
}

/** The path and query string of the request as the client sent it. */
export function requestTarget(request: HttpRequestLike): { path: string; query: string } {
  const url = request.originalUrl ?? request.url;
  const mark = url.indexOf('?');
  return mark === -1 ? { path: url, query: '' } : { path: url.slice(0, mark), query: url.slice(mark + 1) };
}

/** One request header as a string (repeated headers joined by `, `), or `undefined`. */
export function requestHeader(request: HttpRequestLike, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Whether the response was already sent (by a handler using `@Res()`, or a streamed reply). */
export function isResponseSent(response: HttpResponseLike): boolean {
  return response.headersSent === true || response.sent === true;
}

/** Sets a response header: Node's `setHeader` on Express (skipping `res.set`'s conversions), `header` on Fastify. */
export function setResponseHeader(response: HttpResponseLike, name: string, value: string): void {
  if (response.setHeader !== undefined) response.setHeader(name, value);
  else response.header(name, value);
}
