import type { Wso2IsEndpointOverrides } from './options.js';

/** The URLs of one IS tenant's endpoints. */
export interface Wso2IsEndpoints {
  authorization: string;
  token: string;
  userinfo: string;
  jwks: string;
  revocation: string;
  introspection: string;
  endSession: string;
}

/**
 * WSO2 IS's endpoint layout under `{serverOrigin}{tenantPath}`: the same on IS 5.x, 6.x, 7.x and Asgardeo.
 * Used when discovery is off, and for the endpoints a discovery document leaves out.
 */
export function wso2Endpoints(serverOrigin: string, tenantPath: string): Wso2IsEndpoints {
  const base = `${serverOrigin}${tenantPath}`;
  return {
    authorization: `${base}/oauth2/authorize`,
    token: `${base}/oauth2/token`,
    userinfo: `${base}/oauth2/userinfo`,
    jwks: `${base}/oauth2/jwks`,
    revocation: `${base}/oauth2/revoke`,
    introspection: `${base}/oauth2/introspect`,
    endSession: `${base}/oidc/logout`,
  };
}

/** Names of the discovery metadata fields that hold each endpoint. */
export const METADATA_FIELDS: Record<keyof Wso2IsEndpoints, string> = {
  authorization: 'authorization_endpoint',
  token: 'token_endpoint',
  userinfo: 'userinfo_endpoint',
  jwks: 'jwks_uri',
  revocation: 'revocation_endpoint',
  introspection: 'introspection_endpoint',
  endSession: 'end_session_endpoint',
};

/**
 * Server metadata from (optional) discovery, completed with WSO2's layout for what it lacks and with the
 * configured overrides on top.
 */
export function completeMetadata(
  discovered: Record<string, unknown>,
  defaults: Wso2IsEndpoints,
  overrides: Wso2IsEndpointOverrides,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...discovered };
  for (const [key, field] of Object.entries(METADATA_FIELDS) as Array<[keyof Wso2IsEndpoints, string]>) {
    const override = overrides[key];
    if (override !== undefined) metadata[field] = override;
    else if (typeof metadata[field] !== 'string') metadata[field] = defaults[key];
  }
  return metadata;
}
