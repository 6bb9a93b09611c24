import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../client.ts';
import type { NewUser } from '../types.ts';
import { keys } from './keys.ts';

export const usersQuery = () => queryOptions({ queryKey: keys.users, queryFn: api.users });
export const tokensQuery = () => queryOptions({ queryKey: keys.tokens, queryFn: api.tokens });
export const systemQuery = () => queryOptions({ queryKey: keys.system, queryFn: api.system });

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (user: NewUser) => api.createUser(user),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.users }),
  });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, expiresInDays }: { name: string; expiresInDays?: number }) =>
      api.createToken(name, expiresInDays),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.tokens }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.revokeToken(id),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.tokens }),
  });
}
