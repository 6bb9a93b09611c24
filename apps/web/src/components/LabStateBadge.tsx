import { Badge, Loader } from '@mantine/core';
import { isMoving, STATE_COLORS } from '../utils/labs.ts';

/** A lab copy's or a version's state; moving states spin. */
export function LabStateBadge({ state, testId }: { state: string; testId?: string }) {
  const color = (STATE_COLORS as Record<string, string>)[state] ?? 'gray';
  const moving = isMoving(state);
  return (
    <Badge
      color={color}
      variant={moving ? 'outline' : 'light'}
      leftSection={moving ? <Loader size={10} color={color} /> : null}
      data-state={state}
      data-testid={testId}
    >
      {state.replace('_', ' ')}
    </Badge>
  );
}
