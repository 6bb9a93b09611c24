import { Badge, Loader } from '@mantine/core';
import type { RunStatus, Verdict } from '../api/types.ts';
import { STATUS_LABELS, VERDICT_LABELS, verdictColor } from '../utils/format.ts';

export function VerdictBadge({
  verdict,
  size = 'md',
}: {
  verdict: Verdict | null;
  size?: 'sm' | 'md' | 'lg';
}) {
  if (verdict === null) return null;
  return (
    <Badge color={verdictColor(verdict)} size={size} variant="light" data-verdict={verdict}>
      {VERDICT_LABELS[verdict]}
    </Badge>
  );
}

export function StatusBadge({ status }: { status: RunStatus }) {
  const active = status === 'queued' || status === 'running';
  const color = status === 'failed' ? 'orange' : status === 'cancelled' ? 'gray' : active ? 'blue' : 'teal';
  return (
    <Badge
      color={color}
      variant={active ? 'outline' : 'light'}
      leftSection={active ? <Loader size={10} color={color} /> : null}
      data-status={status}
    >
      {STATUS_LABELS[status]}
    </Badge>
  );
}
