import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { deploymentBusy, labBusy, myLabsBusy } from '../../utils/labs.ts';
import { api } from '../client.ts';
import type { LabTemplateBody, NewLabBody } from '../types.ts';
import { keys } from './keys.ts';

/** While something is on its way (deploying, checking, resetting), follow it every 2 s. */
const POLL_MS = 2000;

/** Whether the engine offers VMs (KubeVirt) and volume snapshots: the builder shows only what works. */
export const labCapabilitiesQuery = () =>
  queryOptions({ queryKey: keys.labCapabilities, queryFn: api.labCapabilities, staleTime: 5 * 60_000 });

export const labTypesQuery = () =>
  queryOptions({ queryKey: keys.labTypes, queryFn: api.labTypes, staleTime: 60 * 60_000 });

export const labsQuery = (course: string) =>
  queryOptions({ queryKey: keys.labs(course), queryFn: () => api.labs(course) });

export const labQuery = (id: string) =>
  queryOptions({
    queryKey: keys.lab(id),
    queryFn: () => api.lab(id),
    refetchInterval: (query) => (query.state.data && labBusy(query.state.data) ? POLL_MS : false),
  });

export const labDiffQuery = (id: string, version: string, against: string) =>
  queryOptions({
    queryKey: keys.labDiff(id, version, against),
    queryFn: () => api.labVersionDiff(id, version, against),
  });

export const labDeploymentQuery = (id: string) =>
  queryOptions({
    queryKey: keys.labDeployment(id),
    queryFn: () => api.labDeployment(id),
    refetchInterval: (query) => (query.state.data && deploymentBusy(query.state.data) ? POLL_MS : false),
  });

export const myLabsQuery = () =>
  queryOptions({
    queryKey: keys.myLabs,
    queryFn: api.myLabs,
    refetchInterval: (query) => (query.state.data && myLabsBusy(query.state.data) ? POLL_MS : false),
  });

/** Checks a template without saving it: every problem comes back with its field path. */
export function useValidateLab() {
  return useMutation({ mutationFn: (body: LabTemplateBody) => api.validateLab(body) });
}

export function useCreateLab(course: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewLabBody) => api.createLab(course, body),
    onSuccess: (detail) => {
      client.setQueryData(keys.lab(detail.lab.id), detail);
      void client.invalidateQueries({ queryKey: keys.labs(course) });
      void client.invalidateQueries({ queryKey: keys.myLabs });
    },
  });
}

/** Gone: the course's list is read again and the lab's own page forgotten. */
export function useDeleteLab(course: string, labId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.deleteLab(labId),
    onSuccess: () => {
      client.removeQueries({ queryKey: keys.lab(labId) });
      void client.invalidateQueries({ queryKey: keys.labs(course) });
      void client.invalidateQueries({ queryKey: keys.myLabs });
    },
  });
}

/** Every lab mutation answers something that changes the lab page: refetch it. */
function useLabMutation<T, V>(labId: string, fn: (variables: V) => Promise<T>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: keys.lab(labId) }),
  });
}

export const useUpdateLabTemplate = (labId: string) =>
  useLabMutation(labId, (body: LabTemplateBody) => api.updateLabTemplate(labId, body));

export const useCheckpointLab = (labId: string) => useLabMutation(labId, () => api.checkpointLab(labId));

export const usePublishLabVersion = (labId: string) =>
  useLabMutation(labId, (version: string) => api.publishLabVersion(labId, version));

export const useDeployLab = (labId: string) =>
  useLabMutation(labId, (version: string) => api.deployLab(labId, version));

function useDeploymentMutation<V>(deploymentId: string, fn: (variables: V) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.labDeployment(deploymentId) });
      void client.invalidateQueries({ queryKey: ['labs'] });
    },
  });
}

export const useResetLabCopy = (deploymentId: string) =>
  useDeploymentMutation(deploymentId, (userId: string) => api.resetLabCopy(deploymentId, userId));

export const useStartLabCopy = (deploymentId: string) =>
  useDeploymentMutation(deploymentId, (userId: string) => api.startLabCopy(deploymentId, userId));

export const useDestroyLabDeployment = (deploymentId: string) =>
  useDeploymentMutation(deploymentId, () => api.destroyLabDeployment(deploymentId));
