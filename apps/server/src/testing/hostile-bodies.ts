import fc from 'fast-check';

/**
 * Generators of what a hostile user sends, for the API fuzz suite (api-fuzz.test.ts): values of
 * every JSON type, bodies nested far past any parser's stack, huge strings, prototype keys, lone
 * surrogates, YAML that expands or recurses, CSV that never closes its quote, zips that are not.
 * Each is combined with a route's honest example body, so most requests reach the handler past
 * the first field check.
 */

/** A request as the fuzzer sends it. */
export interface HostileRequest {
  body: string | Uint8Array | undefined;
  contentType: string | undefined;
  label: string;
}

const nested = (open: string, close: string, depth: number, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/** Bodies that end parsers and the code that walks their result. */
const deepText = fc.oneof(
  fc.integer({ min: 60, max: 200_000 }).map((d) => nested('[', ']', d)),
  fc.integer({ min: 60, max: 100_000 }).map((d) => nested('{"a":', '}', d)),
  fc.integer({ min: 1_000, max: 300_000 }).map((d) => '['.repeat(d)),
  fc.integer({ min: 1_000, max: 130_000 }).map((d) => '- '.repeat(d)),
  fc.integer({ min: 1_000, max: 60_000 }).map((d) => `a: ${'[{'.repeat(d)}`),
);

/** YAML that expands exponentially, uses tags, or repeats keys. */
const billionLaughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from({ length: 9 }, (_, i) => {
    const me = String.fromCharCode(98 + i);
    const prev = String.fromCharCode(97 + i);
    return `${me}: &${me} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
].join('\n');
const hostileYaml = fc.oneof(
  fc.constant(billionLaughs),
  fc.constant('!!js/function "function(){ while(true){} }"'),
  fc.constant('a: 1\na: 2\n'),
  fc.constant('--- a\n--- b\n'),
  fc.constant(`key: ${'x'.repeat(300 * 1024)}`),
  deepText,
  fc.string({ unit: 'binary', maxLength: 2_000 }),
);

/** Strings that break naive code: lone surrogates, NUL, bidi controls, path tricks, very long. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '\uD800',
    '\u0000',
    '../../../../etc/passwd',
    '/etc/shadow',
    '%00',
    '\u202Eevil',
    '__proto__',
    'constructor',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    'http://169.254.169.254/latest/meta-data/',
    '1e309',
    '-0',
  ),
  fc.integer({ min: 100_000, max: 2_000_000 }).map((n) => 'x'.repeat(n)),
);

/** Any JSON-ish value, hostile strings and numbers included. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 4 }),
  hostileString,
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308, 2 ** 53 + 1, -(2 ** 31)),
  fc.constant(null),
  fc.array(fc.constant({ path: 'a.py', content: 'x' }), { minLength: 100, maxLength: 5_000 }),
);

/** An honest body with one field replaced, removed, or added by the fuzzer. */
function mutated(example: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(example);
  return fc.oneof(
    fc
      .record({ key: fc.constantFrom(...(keys.length ? keys : ['x'])), value: hostileValue })
      .map(({ key, value }) => ({
        ...example,
        [key]: value,
      })),
    fc.constantFrom(...(keys.length ? keys : ['x'])).map((key) => {
      const { [key]: _dropped, ...rest } = example;
      return rest;
    }),
    fc
      .record({ key: hostileString, value: hostileValue })
      .map(({ key, value }) => ({ ...example, [key]: value })),
    hostileValue,
  );
}

const prototypeKeys = fc.constantFrom(
  '{"__proto__":{"isAdmin":true},"language":"python","files":[{"path":"main.py","content":"print(1)"}]}',
  '{"constructor":{"prototype":{"role":"admin"}}}',
);

const csvText = fc.oneof(
  fc.constant(`username\n"${'a'.repeat(100_000)}`),
  fc.constant(`username,role\n${'x,student\n'.repeat(10_000)}`),
  fc.constant('"""""""""""""""""""""""'.repeat(10_000)),
  fc.string({ unit: 'binary', maxLength: 5_000 }),
);

const zipBytes = fc.oneof(
  fc.uint8Array({ maxLength: 4_096 }),
  // A local file header that promises more than it holds, and an end-of-directory record alone.
  fc.constant(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...Array(26).fill(0xff)])),
  fc.constant(Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...Array(18).fill(0xff)])),
);

function multipart(zip: Uint8Array, fieldName: string, extra: string): { body: Uint8Array; type: string } {
  const boundary = 'fuzzboundary7MA4YWxkTrZu0gW';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="language"\r\n\r\npython\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="${fieldName}"; filename="${extra}"\r\n` +
      'Content-Type: application/zip\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, zip, tail]), type: `multipart/form-data; boundary=${boundary}` };
}

/** What a route takes, so the bodies it is sent are mostly of its own kind. */
export type RouteKind = 'json' | 'yaml' | 'csv' | 'upload';

/** Every kind of hostile body, weighted towards the kind the route takes. */
export function hostileRequests(
  example: Record<string, unknown> | undefined,
  kind: RouteKind = 'json',
): fc.Arbitrary<HostileRequest> {
  const json = (label: string) => (value: unknown) => ({
    body: JSON.stringify(value) ?? 'null',
    contentType: 'application/json',
    label,
  });
  const weight = (k: RouteKind) => (k === kind ? 6 : 1);
  return fc.oneof(
    { arbitrary: mutated(example ?? {}).map(json('mutated')), weight: kind === 'json' ? 6 : 2 },
    {
      arbitrary: deepText.map((text) => ({
        body: text,
        contentType: 'application/json',
        label: 'deep json',
      })),
      weight: 2,
    },
    {
      arbitrary: hostileYaml.map((text) => ({
        body: JSON.stringify({ text }),
        contentType: 'application/json',
        label: 'yaml',
      })),
      weight: weight('yaml'),
    },
    {
      arbitrary: prototypeKeys.map((body) => ({
        body,
        contentType: 'application/json',
        label: 'prototype keys',
      })),
      weight: 1,
    },
    {
      arbitrary: csvText.map((body) => ({ body, contentType: 'text/plain', label: 'csv' })),
      weight: weight('csv'),
    },
    {
      arbitrary: fc
        .tuple(
          zipBytes,
          fc.constantFrom('file', 'zip', 'files'),
          hostileString.filter((s) => s.length < 300),
        )
        .map(([zip, field, name]) => {
          const { body, type } = multipart(zip, field, name.replace(/["\r\n]/g, ''));
          return { body, contentType: type, label: 'multipart' };
        }),
      weight: weight('upload'),
    },
    {
      arbitrary: fc
        .tuple(
          fc.string({ maxLength: 2_000 }),
          fc.constantFrom(
            'application/x-www-form-urlencoded',
            'application/xml',
            'text/html',
            'application/json; charset=utf-7',
            undefined,
          ),
        )
        .map(([body, contentType]) => ({ body, contentType, label: 'odd type' })),
      weight: 1,
    },
  );
}
