/**
 * Checks answers against the service's own OpenAPI document (/openapi.json): the status must be documented for
 * the operation (a success status exactly; an error status exactly or by its 4XX/5XX range) and the body must
 * match the documented schema (ajv); a file download (a success documented under other media types than JSON) must
 * come as one of them, and look like it (an XLSX is a zip, a CSV starts with the UTF-8 BOM). It also keeps a tally of which operations have been answered with a success,
 * so a test can require that every operation in the document was exercised.
 */
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';

export interface Operation {
  key: string; // "GET /cases/{id}"
  method: string;
  path: string;
  op: OpenApiOperation;
  pattern: RegExp;
  params: number;
}

export interface OpenApiOperation {
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  /** The bytes as sent (light-my-request's rawPayload), for file downloads. */
  rawPayload?: Buffer;
}

/** The first bytes of the files the service sends, by media type. */
const FILE_SIGNATURES: Record<string, { bytes: Buffer; what: string }> = {
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { bytes: Buffer.from('PK\x03\x04', 'latin1'), what: 'a zip (XLSX) signature' },
  'text/csv': { bytes: Buffer.from([0xef, 0xbb, 0xbf]), what: 'the UTF-8 byte order mark' },
  'application/pdf': { bytes: Buffer.from('%PDF-', 'latin1'), what: 'a PDF header (%PDF-)' },
};

const escapePointer = (s: string) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'));

export function contractChecker(doc: { paths: Record<string, Record<string, OpenApiOperation>> }) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(nullableEnums(structuredClone(doc)) as object, 'doc');

  const operations: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
      operations.push({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, op, pattern: new RegExp(`^${source}$`), params: (path.match(/\{/g) ?? []).length });
    }
  }
  // A literal segment wins over a parameter: /cases/by-number/{n} before /cases/{id}/...
  operations.sort((a, b) => a.params - b.params);

  const succeeded = new Map<string, Set<number>>();
  const seen = new Map<string, Set<number>>();
  const validators = new Map<string, ReturnType<Ajv['compile']>>();

  function operationFor(method: string, url: string): Operation {
    const path = url.split('?')[0];
    const found = operations.find((o) => o.method === method && o.pattern.test(path));
    if (!found) throw new Error(`${method} ${path} is not in the OpenAPI document`);
    return found;
  }

  /** Problems with one answer (empty when it matches the document). */
  function problems(method: string, url: string, res: Answer): string[] {
    const o = operationFor(method, url);
    const status = res.statusCode;
    const range = `${String(status)[0]}XX`;
    const documented = o.op.responses[String(status)] ? String(status) : status >= 400 && o.op.responses[range] ? range : null;
    (seen.get(o.key) ?? seen.set(o.key, new Set()).get(o.key)!).add(status);
    if (!documented) return [`${o.key} answered ${status}, which is not documented (documented: ${Object.keys(o.op.responses).join(', ')})`];
    const entry = o.op.responses[documented];
    const schema = entry.content?.['application/json']?.schema;
    const out: string[] = [];
    const files = Object.keys(entry.content ?? {}).filter((t) => t !== 'application/json');
    if (!schema && files.length > 0 && status >= 200 && status < 300) {
      const type = String(res.headers['content-type'] ?? '').split(';')[0].trim();
      if (!files.includes(type)) out.push(`${o.key} ${status}: content-type ${res.headers['content-type']}, documented: ${files.join(', ')}`);
      const bytes = res.rawPayload ?? Buffer.from(res.body, 'utf8');
      if (bytes.length === 0) out.push(`${o.key} ${status}: an empty file`);
      const signature = FILE_SIGNATURES[type];
      if (signature && !bytes.subarray(0, signature.bytes.length).equals(signature.bytes)) out.push(`${o.key} ${status}: a ${type} without ${signature.what}`);
      if (out.length === 0) (succeeded.get(o.key) ?? succeeded.set(o.key, new Set()).get(o.key)!).add(status);
      return out;
    }
    if (!schema && status !== 204 && !(status >= 300 && status < 400)) return [`${o.key} ${status} has no response schema`];
    if (!schema || status === 204 || (status >= 300 && status < 400)) {
      if (status === 204 && res.body !== '') out.push(`${o.key} 204 with a body`);
    } else {
      const ref = `doc#/paths/${escapePointer(o.path)}/${o.method.toLowerCase()}/responses/${documented}/content/application~1json/schema`;
      let validate = validators.get(ref);
      if (!validate) validators.set(ref, (validate = ajv.compile({ $ref: ref })));
      let body: unknown;
      try {
        body = JSON.parse(res.body);
      } catch {
        return [`${o.key} ${status}: the body is not JSON: ${res.body.slice(0, 200)}`];
      }
      if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) out.push(`${o.key} ${status}: content-type ${res.headers['content-type']}`);
      if (!validate(body)) out.push(`${o.key} ${status}: ${ajv.errorsText(validate.errors, { separator: '\n  ' })}\n  body: ${res.body.slice(0, 600)}`);
    }
    if (out.length === 0 && status < 400) (succeeded.get(o.key) ?? succeeded.set(o.key, new Set()).get(o.key)!).add(status);
    return out;
  }

  return { operations, operationFor, problems, succeeded, seen };
}

/**
 * OpenAPI 3.0 `nullable: true` beside an `enum` means null is allowed too (as zod writes it); ajv, following the
 * 3.0.3 clarification, wants null inside the enum. Say it that way for ajv. zod also writes a nullable union as
 * `{ anyOf: [...], nullable: true }` with no type, which ajv refuses to compile: there null is one more branch.
 */
function nullableEnums<T>(value: T): T {
  if (Array.isArray(value)) value.forEach(nullableEnums);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.nullable === true && Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...o.enum, null];
    if (o.nullable === true && o.type === undefined && Array.isArray(o.anyOf)) {
      o.anyOf = [...o.anyOf, { type: 'null' }];
      delete o.nullable;
    }
    Object.values(o).forEach(nullableEnums);
  }
  return value;
}

export type ContractChecker = ReturnType<typeof contractChecker>;

export async function openApiDocument(app: FastifyInstance) {
  const res = await app.inject({ url: '/openapi.json' });
  return JSON.parse(res.body) as { paths: Record<string, Record<string, OpenApiOperation>>; components?: { schemas?: Record<string, unknown> } };
}

/**
 * Every object a client may send (request bodies, with $refs followed) refuses unknown fields: each object
 * schema says additionalProperties: false, or is a map whose values have a schema of their own.
 */
export function openObjects(schema: unknown, components: Record<string, unknown>, at = '', seen = new Set<unknown>()): string[] {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return [];
  seen.add(schema);
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') return openObjects(components[s.$ref.split('/').pop()!], components, at, seen);
  const out: string[] = [];
  const isObject = s.type === 'object' || (s.properties !== undefined && s.type === undefined);
  if (isObject && s.additionalProperties !== false && (typeof s.additionalProperties !== 'object' || s.additionalProperties === null)) out.push(at || '(root)');
  for (const [k, v] of Object.entries((s.properties as Record<string, unknown>) ?? {})) out.push(...openObjects(v, components, `${at}.${k}`, seen));
  for (const key of ['items', 'additionalProperties', 'not']) if (typeof s[key] === 'object') out.push(...openObjects(s[key], components, `${at}[]`, seen));
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const v of (s[key] as unknown[]) ?? []) out.push(...openObjects(v, components, at, seen));
  return out;
}
