import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  NumberInput,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { tokensQuery, useCreateToken, useRevokeToken } from '../api/queries/admin.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { formatDate } from '../utils/format.ts';

/** Personal API tokens for the CLI and scripts; a secret is shown once, right after creation. */
export function TokensPage() {
  const tokens = useQuery(tokensQuery());
  const revoke = useRevokeToken();
  return (
    <Stack maw={900}>
      <Title order={2}>API tokens</Title>
      <Text c="dimmed" size="sm">
        Use a token with the <code>aperture</code> command or as <code>Authorization: Bearer …</code>.
      </Text>
      <NewToken />
      {tokens.isPending ? <Loading /> : null}
      <ErrorAlert error={tokens.error ?? revoke.error} />
      {tokens.data?.length === 0 ? <EmptyState title="No tokens yet" /> : null}
      {tokens.data && tokens.data.length > 0 ? (
        <Table.ScrollContainer minWidth={480}>
          <Table striped aria-label="API tokens">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tokens.data.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>{t.name}</Table.Td>
                  <Table.Td>{formatDate(t.createdAt)}</Table.Td>
                  <Table.Td>{t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never'}</Table.Td>
                  <Table.Td>{t.expiresAt ? formatDate(t.expiresAt) : 'never'}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      color="red"
                      variant="subtle"
                      loading={revoke.isPending && revoke.variables === t.id}
                      onClick={() => {
                        if (window.confirm(`Revoke the token "${t.name}"? Scripts using it stop working.`))
                          revoke.mutate(t.id);
                      }}
                    >
                      Revoke
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}

function NewToken() {
  const [name, setName] = useState('');
  const [days, setDays] = useState<number | ''>('');
  const create = useCreateToken();
  return (
    <Paper withBorder p="md">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { name, ...(days === '' ? {} : { expiresInDays: days }) },
            { onSuccess: () => setName('') },
          );
        }}
      >
        <Stack gap="sm">
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="Token name"
              placeholder="my laptop"
              required
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            <NumberInput
              label="Expires in (days)"
              placeholder="never"
              min={1}
              max={3650}
              value={days}
              onChange={(v) => setDays(v === '' ? '' : Number(v))}
              w={160}
            />
            <Button type="submit" loading={create.isPending}>
              Create token
            </Button>
          </Group>
          <ErrorAlert error={create.error} />
          {create.data ? (
            <Alert color="green" variant="light" title="Copy your new token now: it is not shown again">
              <Group gap="xs" wrap="nowrap">
                <Code data-testid="new-token" style={{ wordBreak: 'break-all' }}>
                  {create.data.token}
                </Code>
                <CopyButton value={create.data.token}>
                  {({ copied, copy }) => (
                    <Button size="xs" variant="light" onClick={copy}>
                      {copied ? 'Copied' : 'Copy'}
                    </Button>
                  )}
                </CopyButton>
              </Group>
            </Alert>
          ) : null}
        </Stack>
      </form>
    </Paper>
  );
}
