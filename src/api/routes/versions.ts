import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { apiError } from '../../errors/api-error.ts';
import { requestBaseUrl } from '../base-url.ts';
import type { App } from '../types.ts';

const VERSIONS = [
  { id: 'v1', version: '1', updated: '2018-09-30T00:00:00Z' },
  { id: 'v2', version: '2', updated: '2020-03-30T00:00:00Z' },
] as const;

const VersionLink = Type.Object({ href: Type.String(), type: Type.String(), rel: Type.String() });
const VersionModel = Type.Object({
  id: Type.String(),
  status: Type.String(),
  updated: Type.String(),
  version: Type.String(),
  min_version: Type.String(),
  links: Type.Array(VersionLink),
});

function versionModel(request: FastifyRequest, v: (typeof VERSIONS)[number]) {
  // The links point back at whatever host the caller used, so they work behind
  // a port forward or a proxy that keeps the Host header; a Host that is not a
  // plain host and port is refused rather than echoed. An HTTP/1.0 client may
  // send no Host at all: its links are relative.
  const host: unknown = request.headers.host;
  const href = `${host === undefined ? '' : requestBaseUrl(request)}/${v.id}`;
  return {
    id: v.id,
    status: 'CURRENT',
    updated: v.updated,
    version: v.version,
    min_version: '',
    links: [{ href, type: 'application/json', rel: 'self' }],
  };
}

export function registerVersionRoutes(app: App): void {
  app.get(
    '/',
    {
      config: { public: true },
      schema: {
        tags: ['versions'],
        summary: 'Query versions of VPCEP APIs',
        response: { 200: Type.Object({ versions: Type.Array(VersionModel) }) },
      },
    },
    async (request) => ({ versions: VERSIONS.map((v) => versionModel(request, v)) }),
  );

  app.get(
    '/:version',
    {
      config: { public: true },
      schema: {
        tags: ['versions'],
        summary: 'Query the version of a specified VPCEP API',
        params: Type.Object({ version: Type.String() }),
        response: { 200: Type.Object({ version: VersionModel }) },
      },
    },
    async (request) => {
      const v = VERSIONS.find((x) => x.id === request.params.version);
      if (!v) throw apiError('EndPoint.0005');
      return { version: versionModel(request, v) };
    },
  );
}
