import type { Command } from 'commander';
import type { HttpRequest } from '../client/http.ts';
import { act, clientCommand } from './context.ts';
import { safeLines, safeText } from './output.ts';
import { readArgument } from './parse.ts';
import { UsageError } from './usage.ts';

// `vpcep api METHOD PATH`: any call, signed like the others, for what has no
// command of its own. `{project_id}` in the path is the caller's project.

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'] as const;

function method(value: unknown): HttpRequest['method'] {
  const m = String(value).toUpperCase();
  const known = METHODS.find((x) => x === m);
  if (!known) throw new UsageError(`invalid method '${String(value)}': ${METHODS.join(', ')}`);
  return known;
}

/** An absolute path of visible characters; `{project_id}` filled in. */
function apiPath(value: unknown, projectId: string): string {
  const text = String(value);
  if (!text.startsWith('/') || text.startsWith('//') || !/^[\x21-\x7e]{1,8192}$/.test(text)) {
    throw new UsageError(`invalid path '${safeText(text)}': an absolute path such as /v1/{project_id}/vpcs`);
  }
  return text.replaceAll('{project_id}', encodeURIComponent(projectId));
}

export function registerApiCommand(program: Command): void {
  act(
    clientCommand(program, 'api <method> <path>', 'send any signed request and print the answer').option(
      '-d, --data <JSON|@FILE>',
      'request body, sent as given (@- reads standard input)',
    ),
    async (ctx, [m, p], o) => {
      const request: HttpRequest = {
        method: method(m),
        path: apiPath(p, ctx.creds.projectId),
        ...(typeof o.data === 'string' ? { body: readArgument('--data', o.data) } : {}),
      };
      const response = await ctx.client.transport.send(request);
      if (response.json !== undefined) ctx.print.data(response.json);
      else if (response.text !== '') process.stdout.write(safeLines(response.text.replace(/\n$/, '')) + '\n');
    },
  );
}
