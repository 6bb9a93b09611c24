import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { actorOf } from '../http/auth.ts';
import { route } from '../http/route.ts';

/**
 * The source files of a run, for whoever may see the run (its owner, course staff, admins):
 * the web UI shows a submission's code to graders and lets a student reopen an old submission.
 */
export function runFileRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/runs/:id/files',
    summary: 'The files of a run or submission, with their contents.',
    tags: ['runs'],
    handler: async (request) => {
      const { run } = await ctx.runs.get(actorOf(request), (request.params as { id: string }).id);
      return {
        mainFile: run.spec.mainFile,
        files: run.spec.files.map((file) => toFileView(file.path, file.contentBase64)),
      };
    },
  });
}

function toFileView(path: string, contentBase64: string) {
  const bytes = Buffer.from(contentBase64, 'base64');
  const text = new TextDecoder('utf-8', { fatal: true });
  try {
    return { path, size: bytes.length, content: text.decode(bytes), contentBase64: null };
  } catch {
    return { path, size: bytes.length, content: null, contentBase64 };
  }
}
