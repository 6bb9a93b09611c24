import { compileOutputPattern } from '@aperture/core';
import { z } from 'zod';

/**
 * Request bodies of the HTTP API, shared by the server (validation + OpenAPI) and the CLI.
 * Every field a user can get wrong has a description: it appears in /api/docs.
 */
export const sourceFileSchema = z.object({
  path: z.string().min(1).max(200).describe('Relative path, forward slashes, e.g. "src/main.py".'),
  content: z.string().optional().describe('UTF-8 text content. Give this or contentBase64.'),
  contentBase64: z.string().optional().describe('Base64 content, for binary files.'),
});

export const limitsSchema = z
  .object({
    cpuMs: z.number().int().positive().optional(),
    wallMs: z.number().int().positive().optional(),
    memoryBytes: z.number().int().positive().optional(),
    pids: z.number().int().positive().optional(),
    outputBytes: z.number().int().positive().optional(),
    fileSizeBytes: z.number().int().positive().optional(),
    network: z.boolean().optional(),
  })
  .strict()
  .describe('Limits per execution; values are clamped to the server maxima.');

export const comparatorSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exact') }),
  z.object({ kind: z.literal('whitespace') }),
  z
    .object({
      kind: z.literal('regex'),
      pattern: z.string().max(10_000).describe('RE2 syntax (linear time: no backreferences or lookaround).'),
      flags: z.string().max(8).optional().describe('Any of i, m, s.'),
    })
    .superRefine((comparator, ctx) => {
      // Refused when the assignment is saved, not found out when a student is graded.
      const compiled = compileOutputPattern(comparator.pattern, comparator.flags);
      if (!compiled.ok) ctx.addIssue({ code: 'custom', path: ['pattern'], message: compiled.error });
    }),
  z.object({
    kind: z.literal('checker'),
    command: z
      .string()
      .min(1)
      .max(1000)
      .describe('Run in the support dir as: <command> input expected actual'),
  }),
]);

export const testCaseSchema = z
  .object({
    name: z.string().min(1).max(200),
    stdin: z
      .string()
      .max(16 * 1024 * 1024)
      .default(''),
    expectedOutput: z
      .string()
      .max(16 * 1024 * 1024)
      .default(''),
    comparator: comparatorSchema.default({ kind: 'whitespace' }),
    points: z.number().min(0).max(10_000).default(1),
    visibility: z.enum(['visible', 'hidden', 'after_due_date']).default('visible'),
    limits: limitsSchema.optional(),
    args: z.array(z.string().max(1000)).max(50).optional(),
  })
  .strict();

export const createRunSchema = z
  .object({
    language: z.string().min(1).describe('A language id from GET /api/v1/languages.'),
    files: z.array(sourceFileSchema).min(1).max(100),
    mainFile: z.string().optional(),
    stdin: z
      .string()
      .max(1024 * 1024)
      .optional(),
    tests: z.array(testCaseSchema).max(200).optional(),
    limits: limitsSchema.optional(),
    webhookUrl: z
      .url()
      .optional()
      .describe(
        'POSTed the finished run (3 tries with back-off). http(s) to a public address unless the admin allows more; redirects are not followed.',
      ),
  })
  .strict();

export const batchRunSchema = z.object({ runs: z.array(createRunSchema).min(1).max(20) }).strict();

export const submissionSchema = z
  .object({
    language: z.string().min(1),
    files: z.array(sourceFileSchema).min(1).max(100),
    mainFile: z.string().optional(),
  })
  .strict();

export const assignmentSchema = z
  .object({
    slug: z.string().min(1).max(63).describe('URL name, unique in the course: lowercase, digits, dashes.'),
    title: z.string().min(1).max(200),
    statement: z.string().max(200_000).default('').describe('Markdown.'),
    languages: z.array(z.string()).min(1),
    tests: z.array(testCaseSchema).max(500).default([]),
    limits: limitsSchema.default({}),
    deadline: z.iso.datetime({ offset: true }).nullable().default(null),
    submissionLimit: z
      .object({ count: z.number().int().positive(), periodSeconds: z.number().int().positive() })
      .strict()
      .nullable()
      .default(null),
    supportFiles: z.array(sourceFileSchema).max(100).default([]),
    autograder: z
      .object({ files: z.array(sourceFileSchema).min(1).max(500) })
      .strict()
      .nullable()
      .default(null)
      .describe('A Gradescope-format autograder (run_autograder at the top).'),
  })
  .strict();

// Bounded so a huge body cannot buy a long scrypt; no stored password is longer (core's policy).
export const loginSchema = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) })
  .strict();

export const createTokenSchema = z
  .object({
    name: z.string().min(1).max(100),
    expiresInDays: z.number().int().positive().max(3650).optional(),
  })
  .strict();

export const createUserSchema = z
  .object({
    username: z.string().min(1).max(64),
    // Length (in characters, not UTF-16 units), the common-password list and the rest are core's
    // password policy, which says what is wrong; here only a bound on the body.
    password: z
      .string()
      .max(1024)
      .optional()
      .describe('8–256 characters; not a commonly used password, nor the username'),
    displayName: z.string().max(200).optional(),
    email: z.email().nullable().optional(),
    role: z.enum(['admin', 'staff', 'user']).default('user'),
  })
  .strict();

export const createCourseSchema = z
  .object({ code: z.string().min(1).max(40), title: z.string().min(1).max(200) })
  .strict();

export const enrollSchema = z
  .object({
    username: z.string().min(1).max(64),
    role: z.enum(['instructor', 'ta', 'student']).default('student'),
    displayName: z.string().max(200).optional(),
    email: z.email().nullable().optional(),
  })
  .strict();

export const rosterSchema = z
  .object({
    csv: z
      .string()
      .min(1)
      .max(5 * 1024 * 1024),
  })
  .strict();

export type CreateRunBody = z.infer<typeof createRunSchema>;
export type SubmissionBody = z.infer<typeof submissionSchema>;
export type AssignmentBody = z.infer<typeof assignmentSchema>;
export type SourceFileBody = z.infer<typeof sourceFileSchema>;
export type TestCaseBody = z.infer<typeof testCaseSchema>;

/** `POST /api/v1/labs/validate`: a template as text (YAML or JSON), or as a JSON object. */
export const validateLabSchema = z
  .union([
    z.object({ text: z.string().max(256 * 1024) }).strict(),
    z.object({ template: z.record(z.string(), z.unknown()) }).strict(),
  ])
  .describe('Either `text` (YAML or JSON) or `template` (an object)');
