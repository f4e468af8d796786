// What a call can fail with: an answer of the API (ApiError), a call that never
// got one (ConnectionError), or input refused before anything was sent
// (InvalidInput).

/** A non-2xx answer, with the fields of the API's error body. */
export class ApiError extends Error {
  readonly status: number;
  /** `EndPoint.xxxx`, or '' when the body carried no code (e.g. a proxy's own error page). */
  readonly errorCode: string;
  readonly errorMsg: string;
  /** From the body, else the `X-Request-Id` header; '' when neither is present. */
  readonly requestId: string;

  constructor(status: number, errorCode: string, errorMsg: string, requestId: string) {
    super(errorCode ? `${errorCode}: ${errorMsg}` : `HTTP ${status}: ${errorMsg}`);
    this.name = 'ApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.errorMsg = errorMsg;
    this.requestId = requestId;
  }
}

/** The server could not be reached, or did not answer in time. */
export class ConnectionError extends Error {
  readonly url: string;

  constructor(url: string, reason: string) {
    super(`cannot reach ${url}: ${reason}`);
    this.name = 'ConnectionError';
    this.url = url;
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * The ApiError for an answer: the API's `{error_code, error_msg, request_id}`,
 * also when nested under `error` as some gateways do; anything else keeps the
 * first 200 characters of the body as the message.
 */
export function apiErrorOf(
  status: number,
  body: unknown,
  rawText: string,
  headerRequestId: string,
): ApiError {
  const outer = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const inner =
    typeof outer.error === 'object' && outer.error !== null
      ? (outer.error as Record<string, unknown>)
      : outer;
  const code = text(inner.error_code) || text(inner.code);
  const msg = text(inner.error_msg) || text(inner.message) || rawText.slice(0, 200) || `HTTP ${status}`;
  const requestId = text(inner.request_id) || text(outer.request_id) || headerRequestId;
  return new ApiError(status, code, msg, requestId);
}

/** Input refused before sending (a path parameter URL parsers would rewrite, a bad endpoint). */
export class InvalidInput extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInput';
  }
}
