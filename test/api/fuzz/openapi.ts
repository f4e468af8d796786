// The fuzz test's view of the server's own OpenAPI document: its operations,
// their parameters, and for each request body a plausible example plus the
// location of every field in it, so a case can break one field at a time.

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  format?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  method: string;
  /** `/v1/{project_id}/vpcs/{vpc_id}` as the document writes it. */
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body: JsonSchema | undefined;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
}

export function operationsOf(doc: unknown): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries((doc as OpenApiDocument).paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

/** The first branch of a union: the shape an example is built from. */
export function concrete(schema: JsonSchema): JsonSchema {
  return schema.anyOf?.[0] ?? schema.oneOf?.[0] ?? schema;
}

/** The JSON type a schema asks for ('string', 'integer', …), or undefined for "anything". */
export function typeOf(schema: JsonSchema): string | undefined {
  const s = concrete(schema);
  if (s.enum !== undefined || s.const !== undefined) return 'enum';
  if (Array.isArray(s.type)) return s.type[0];
  if (s.type !== undefined) return s.type;
  if (s.properties) return 'object';
  return undefined;
}

/** A plausible value for a field: ids come from `idFor` so that cases reach past the look-ups. */
export function exampleOf(
  schema: JsonSchema,
  name: string,
  idFor: (field: string) => string | undefined,
): unknown {
  const s = concrete(schema);
  if (s.const !== undefined) return s.const;
  if (s.enum !== undefined) return s.enum[0];
  switch (typeOf(s)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(s.properties ?? {})) out[key] = exampleOf(sub, key, idFor);
      return out;
    }
    case 'array':
      return s.items ? [exampleOf(s.items, name, idFor)] : [];
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, Math.min(s.maximum ?? 80, 80));
    case 'boolean':
      return true;
    case 'string': {
      const text = idFor(name) ?? 'fuzz';
      return text.length >= (s.minLength ?? 0) ? text : text.padEnd(s.minLength ?? 0, 'z');
    }
    default:
      return {};
  }
}

export interface Field {
  /** Keys and array indexes from the body's root. */
  path: (string | number)[];
  schema: JsonSchema;
}

/** Every property and first array item of a body schema, depth first. */
export function fieldsOf(schema: JsonSchema, path: (string | number)[] = []): Field[] {
  const s = concrete(schema);
  const own: Field[] = path.length > 0 ? [{ path, schema: s }] : [];
  if (typeOf(s) === 'object') {
    return own.concat(
      ...Object.entries(s.properties ?? {}).map(([key, sub]) => fieldsOf(sub, [...path, key])),
    );
  }
  if (typeOf(s) === 'array' && s.items) return own.concat(fieldsOf(s.items, [...path, 0]));
  return own;
}

/** A copy of `root` with the value at `path` replaced, creating containers on the way. */
export function withValueAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (typeof head === 'number') {
    const arr = Array.isArray(root) ? [...(root as unknown[])] : [];
    arr[head] = withValueAt(arr[head], rest, value);
    return arr;
  }
  const obj = root !== null && typeof root === 'object' && !Array.isArray(root) ? { ...root } : {};
  (obj as Record<string, unknown>)[head] = withValueAt((obj as Record<string, unknown>)[head], rest, value);
  return obj;
}
