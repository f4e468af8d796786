import { request as httpRequest } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
  /** The client socket's local port (data-plane tests match it against PROXY headers). */
  localPort: number;
}

export interface RawRequest {
  method: string;
  /** Absolute URL; its path and query are sent byte for byte. */
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Local address to bind the client socket to (data-plane tests). */
  localAddress?: string;
}

/**
 * A request with full control over every header (fetch forbids setting Host and
 * adds headers of its own), for tampering with signed requests byte by byte.
 */
export function rawRequest(req: RawRequest): Promise<RawResponse> {
  const u = new URL(req.url);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        method: req.method,
        host: u.hostname,
        port: u.port,
        path: req.url.slice(req.url.indexOf('/', u.protocol.length + 2)),
        headers: {
          ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
          ...req.headers,
        },
        ...(req.localAddress ? { localAddress: req.localAddress } : {}),
      },
      (res) => {
        const localPort = res.socket.localPort ?? 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, localPort });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
