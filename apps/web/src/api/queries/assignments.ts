import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../client.ts';
import type { AssignmentBody, SourceFileBody } from '../types.ts';
import { keys } from './keys.ts';

export const assignmentsQuery = (course: string) =>
  queryOptions({ queryKey: keys.assignments(course), queryFn: () => api.assignments(course) });

export const assignmentQuery = (course: string, slug: string) =>
  queryOptions({ queryKey: keys.assignment(course, slug), queryFn: () => api.assignment(course, slug) });

/** Your own submissions, or (course staff) one student's with `userId`, or everyone's with `all`. */
export const submissionsQuery = (assignmentId: string, userId?: string) =>
  queryOptions({
    queryKey: keys.submissions(assignmentId, userId),
    queryFn: () => api.submissions(assignmentId, userId === 'all' ? undefined : userId),
  });

export function useSaveAssignment(course: string, id: string | undefined) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AssignmentBody) =>
      id ? api.updateAssignment(id, body) : api.createAssignment(course, body),
    onSuccess: (saved) => {
      void client.invalidateQueries({ queryKey: keys.assignments(course) });
      client.setQueryData(keys.assignment(course, saved.slug), saved);
      void client.invalidateQueries({ queryKey: keys.gradebook(course) });
    },
  });
}

export function useSubmit(assignmentId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({
      language,
      files,
      mainFile,
    }: {
      language: string;
      files: SourceFileBody[];
      mainFile?: string;
    }) => api.submit(assignmentId, language, files, mainFile),
    onSuccess: (run) => {
      client.setQueryData(keys.run(run.id), run);
      void client.invalidateQueries({ queryKey: keys.allSubmissions(assignmentId) });
    },
  });
}
