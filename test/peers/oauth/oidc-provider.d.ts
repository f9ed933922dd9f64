// The few parts of oidc-provider 9 (which ships no types) that the test authorization server uses. Shapes
// follow node_modules/oidc-provider/lib (provider.js, models/*, helpers/errors.js); anything the rig does
// not touch is left out. Drop this file if `@types/oidc-provider` is ever added.

declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** A stored artifact as an adapter sees it (AccessToken, RefreshToken, Grant, Session, ...). */
  export interface AdapterPayload {
    [key: string]: unknown;
    grantId?: string;
    userCode?: string;
    uid?: string;
    consumed?: number;
    jti?: string;
  }

  /** The storage interface oidc-provider calls, one instance per model name. */
  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface ClientModel {
    clientId: string;
    clientAuthMethod: string;
    applicationType?: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  interface TokenEntity {
    grantId?: string;
    clientId?: string;
    jti?: string;
    resource?: string | string[];
    scope?: string;
    isSenderConstrained?(): boolean;
  }

  /** The koa context oidc-provider hands to configuration helpers and event listeners. */
  export interface KoaContextWithOIDC {
    method: string;
    path: string;
    oidc: {
      route?: string;
      params?: Record<string, unknown>;
      client?: ClientModel;
      entities: Record<string, TokenEntity | undefined>;
    };
  }

  /** An OAuth error as oidc-provider throws it (`error_detail` is the server-side reason, never sent). */
  export interface OidcError extends Error {
    error?: string;
    error_description?: string;
    error_detail?: string;
    status?: number;
  }

  interface TokenModel {
    find(value: string, options?: { ignoreExpiration?: boolean }): Promise<TokenEntity | undefined>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  interface GrantModel {
    find(id: string): Promise<{ destroy(): Promise<void> } | undefined>;
  }

  export type Configuration = Record<string, unknown>;

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly AccessToken: TokenModel;
    readonly RefreshToken: TokenModel;
    readonly AuthorizationCode: TokenModel;
    readonly DeviceCode: TokenModel;
    readonly Grant: GrantModel;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (ctx: KoaContextWithOIDC, ...args: unknown[]) => void): this;
  }

  export const errors: {
    InvalidTarget: new (description?: string, detail?: string) => OidcError;
  };
}
