import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '../client.ts';
import type { RunStatusEvent, RunView, SourceFileBody } from '../types.ts';
import { keys } from './keys.ts';

export const TERMINAL = ['completed', 'failed', 'cancelled'] as const;
export const isFinished = (run: Pick<RunView, 'status'>) =>
  (TERMINAL as readonly string[]).includes(run.status);

export const languagesQuery = () =>
  queryOptions({ queryKey: keys.languages, queryFn: api.languages, staleTime: Number.POSITIVE_INFINITY });

export const runQuery = (id: string) => queryOptions({ queryKey: keys.run(id), queryFn: () => api.run(id) });

export const runFilesQuery = (id: string) =>
  queryOptions({
    queryKey: keys.runFiles(id),
    queryFn: () => api.runFiles(id),
    staleTime: Number.POSITIVE_INFINITY,
  });

/**
 * A run that updates itself: while it is queued or running, the server's event stream
 * (`status`, then one `result`) is written into the query cache. No polling.
 */
export function useLiveRun(id: string | undefined) {
  const client = useQueryClient();
  const query = useQuery({ ...runQuery(id ?? ''), enabled: id !== undefined });
  const finished = query.data ? isFinished(query.data) : false;
  useEffect(() => {
    if (!id || finished || typeof EventSource === 'undefined') return;
    const source = new EventSource(api.runEventsUrl(id));
    source.addEventListener('status', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as RunStatusEvent;
      client.setQueryData<RunView>(keys.run(id), (old) =>
        old ? { ...old, status: data.status, verdict: data.verdict } : old,
      );
    });
    source.addEventListener('result', (event) => {
      const run = JSON.parse((event as MessageEvent<string>).data) as RunView;
      client.setQueryData(keys.run(id), run);
      if (run.assignmentId)
        void client.invalidateQueries({ queryKey: keys.allSubmissions(run.assignmentId) });
      source.close();
    });
    return () => source.close();
  }, [id, finished, client]);
  return query;
}

export function useCreateRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { language: string; files: SourceFileBody[]; mainFile?: string; stdin?: string }) =>
      api.createRun(body),
    onSuccess: (run) => client.setQueryData(keys.run(run.id), run),
  });
}

export function useRerun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.rerun(id),
    onSuccess: () => client.invalidateQueries({ queryKey: ['submissions'] }),
  });
}
