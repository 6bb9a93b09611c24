import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../client.ts';
import { keys } from './keys.ts';

export const coursesQuery = () => queryOptions({ queryKey: keys.courses, queryFn: api.courses });

export const courseQuery = (code: string) =>
  queryOptions({ queryKey: keys.course(code), queryFn: () => api.course(code) });

export const enrollmentsQuery = (code: string) =>
  queryOptions({ queryKey: keys.enrollments(code), queryFn: () => api.enrollments(code) });

export const gradebookQuery = (code: string) =>
  queryOptions({ queryKey: keys.gradebook(code), queryFn: () => api.gradebook(code) });

/** A plain link: the browser downloads the CSV with the session cookie. */
export const gradebookCsvUrl = (code: string) => api.gradebookCsvUrl(code);

export function useImportRoster(code: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (csv: string) => api.importRoster(code, csv),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.enrollments(code) });
      void client.invalidateQueries({ queryKey: keys.gradebook(code) });
    },
  });
}

export function useCreateCourse() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ code, title }: { code: string; title: string }) => api.createCourse(code, title),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.courses }),
  });
}
