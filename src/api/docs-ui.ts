import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import { ICON_SVG, LOGO_SVG } from './brand.ts';

// What /docs (Swagger UI) shows besides the operations: how to get a token, and
// vpcep's own name and mark instead of the framework's.

export const API_DESCRIPTION = `VPC Endpoint (VPCEP) API with the IAM and VPC subsets it depends on.

## Try it here with a token

This page sends an \`X-Auth-Token\`; AK/SK signatures (what the SDKs use) cannot be made in a browser page.

1. Open **POST /v3/auth/tokens** below, choose *Try it out* and send:

   \`\`\`json
   {"auth": {"identity": {"methods": ["password"],
     "password": {"user": {"name": "USER", "password": "PASSWORD", "domain": {"name": "ACCOUNT"}}}},
     "scope": {"project": {"name": "REGION"}}}}
   \`\`\`

   The demo account's login is printed at the server's first start (\`vpcep credentials\` prints it again);
   the project of each account is named after the region.
2. Copy the **X-Subject-Token** response header: that is the token. The response body's
   \`token.project.id\` is the \`project_id\` of every path.
3. Choose **Authorize** (top right), paste the token under *token* and close the dialog.

Tokens last \`token_ttl_seconds\` (24 hours by default) and are scoped to one project.
The web console at [/console](/console) does all of this with a sign-in form.`;

export const TOKEN_SCHEME_DESCRIPTION =
  'The X-Subject-Token header of POST /v3/auth/tokens (see above). Scoped to one project.';

/** The scheme the SDKs sign with: documented in /openapi.json, left out of the page, which cannot sign. */
export const SIGNED_SCHEME = 'aksk';

interface Spec {
  components?: { securitySchemes?: Record<string, unknown> };
  security?: Record<string, unknown>[];
}

/** The page's copy of the document: without the AK/SK scheme, whose Authorize box nobody could fill in. */
export function withoutSignedScheme<T extends Spec>(spec: T): T {
  if (spec.components?.securitySchemes) delete spec.components.securitySchemes[SIGNED_SCHEME];
  if (spec.security) spec.security = spec.security.filter((s) => !(SIGNED_SCHEME in s));
  return spec;
}

export const SWAGGER_UI_BRANDING: Pick<FastifySwaggerUiOptions, 'theme' | 'logo'> = {
  theme: {
    title: 'vpcep API',
    favicon: [
      {
        filename: 'favicon.svg',
        rel: 'icon',
        sizes: 'any',
        type: 'image/svg+xml',
        content: Buffer.from(ICON_SVG),
      },
    ],
  },
  logo: { type: 'image/svg+xml', content: Buffer.from(LOGO_SVG), href: '/docs', target: '_self' },
};
