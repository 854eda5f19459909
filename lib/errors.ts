// One catalogue of typed errors (fastify-style): every error the library throws or
// reports carries a stable `code` starting with SYSHTTP_ERR_.

export const ErrorCodes = {
  SYSHTTP_ERR_INVALID_ARG: 'Invalid argument',
  SYSHTTP_ERR_INVALID_HEADER: 'Invalid header name or value',
  SYSHTTP_ERR_NATIVE_LOAD: 'The native addon could not be loaded',
  SYSHTTP_ERR_BACKEND_UNAVAILABLE: 'The requested backend is not available',
  SYSHTTP_ERR_LISTEN: 'Could not listen',
  SYSHTTP_ERR_SERVER_STATE: 'The server is not in a state that allows this',
  SYSHTTP_ERR_RESPONSE_STARTED: 'The response has already started',
  SYSHTTP_ERR_RESPONSE_ENDED: 'The response has already completed',
  SYSHTTP_ERR_CONTENT_LENGTH_MISMATCH: 'More body than the declared Content-Length',
  SYSHTTP_ERR_BODY_STARTED: 'The request body has already been read',
  SYSHTTP_ERR_BODY_UNAVAILABLE: 'The request body is no longer available: the response completed before it was read',
  SYSHTTP_ERR_BODY_TOO_LARGE: 'Request body too large',
  SYSHTTP_ERR_BODY_TIMEOUT: 'Request body arrived too slowly',
  SYSHTTP_ERR_BAD_REQUEST: 'Malformed request body',
  SYSHTTP_ERR_CLIENT_ABORTED: 'The client closed the connection',
  SYSHTTP_ERR_NOT_UPGRADABLE: 'The request cannot be upgraded',
  SYSHTTP_ERR_CLIENT_PROTOCOL: 'A request head broke the protocol or a limit; the server answered it and closes the connection',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class SyshttpError extends Error {
  readonly code: ErrorCode;
  /** The HTTP status the failure maps to, when it is a request error (413, 408, 400). */
  readonly status?: number;
  errno?: number;
  syscall?: string;

  constructor(code: ErrorCode, detail?: string, options?: { status?: number; cause?: unknown }) {
    super(detail ? `${ErrorCodes[code]}: ${detail}` : ErrorCodes[code], options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'SyshttpError';
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
  }
}

export function invalidArg(detail: string): SyshttpError {
  return new SyshttpError('SYSHTTP_ERR_INVALID_ARG', detail);
}
