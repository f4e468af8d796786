import { catalog, wireCode, type ErrorCode } from './catalog.ts';

/**
 * The one error class the API answers with. The status always comes from the
 * catalog so a code can never be sent with the wrong status; the message may be
 * more specific than the catalog's (the reference says codes and messages do not
 * correspond one to one), which helps users find the offending field.
 */
export class ApiError extends Error {
  /** The catalog entry; differs from `code` for a code with several statuses. */
  readonly key: ErrorCode;
  /** The code on the wire (`error_code`). */
  readonly code: string;
  readonly status: number;

  constructor(key: ErrorCode, message?: string) {
    const entry = catalog[key];
    super(message ?? entry.message);
    this.name = 'ApiError';
    this.key = key;
    this.code = wireCode(key);
    this.status = entry.status;
  }
}

export function apiError(code: ErrorCode, message?: string): ApiError {
  return new ApiError(code, message);
}

export interface ErrorBody {
  error_code: string;
  error_msg: string;
  request_id: string;
}

export function errorBody(err: ApiError, requestId: string): ErrorBody {
  return { error_code: err.code, error_msg: err.message, request_id: requestId };
}
