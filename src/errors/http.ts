/**
 * The HTTP error, and the SDK's cross-bundle brands that let the SDK `Client` recognise a
 * lifeline error as its own (`instanceof SdkHttpError`, `instanceof UnauthorizedError`).
 */

import { hasBrand } from './base.js';
import { ErrorCode } from './codes.js';
import { LinkError, type LinkErrorOptions, subclassCode } from './link.js';

/**
 * The SDK's cross-bundle brand registry (`@modelcontextprotocol/core` `stampErrorBrands`).
 * Inside the family only: the barrel (src/errors.ts) does not export it.
 */
export const SDK_BRANDS = Symbol.for('mcp.sdk.errorBrands');

const kHttpError = Symbol.for('mcp-lifeline.error.HttpError');

/** What an {@link HttpError} carries, in the SDK's `SdkHttpErrorData` shape. */
export interface HttpErrorData {
  status: number;
  statusText: string | undefined;
  /** The response body as text, cut to 4 KiB. */
  text: string | undefined;
}

/**
 * The server answered an HTTP request with an error status. Branded so the SDK's
 * `instanceof SdkHttpError` matches it (v2 `auto` negotiation falls back to the legacy era
 * only on an `SdkHttpError`), with the SDK's `data: {status, statusText, text}`. 401 and 403
 * are permanent; 5xx are transient.
 */
export class HttpError extends LinkError {
  override name = 'HttpError';
  declare readonly code: typeof ErrorCode.Http;
  /** In the SDK's shape. */
  readonly data: HttpErrorData;

  constructor(message: string, data: HttpErrorData, options: LinkErrorOptions = {}) {
    super(subclassCode(ErrorCode.Http), message, options);
    this.data = data;
    Object.defineProperty(this, SDK_BRANDS, {
      value: new Set(['mcp.SdkError', 'mcp.SdkHttpError']),
      enumerable: false,
      configurable: true,
    });
  }

  /** The HTTP status code. */
  get status(): number {
    return this.data.status;
  }

  /** The HTTP status text, when the server sent one. */
  get statusText(): string | undefined {
    return this.data.statusText;
  }

  get [kHttpError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kHttpError);
  }
}
