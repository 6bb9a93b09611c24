import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../client.ts';
import { keys } from './keys.ts';

export const meQuery = () =>
  queryOptions({ queryKey: keys.me, queryFn: api.me, staleTime: 5 * 60_000, retry: false });

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ username, password }: { username: string; password: string }) =>
      api.login(username, password),
    onSuccess: (result) => {
      client.clear();
      client.setQueryData(keys.me, result.user);
    },
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.logout,
    onSettled: () => client.clear(),
  });
}
