import type { Clock, EventBus, IdGenerator, SecretHasher, Store } from '../ports.ts';

/** What every use case may talk to. Only ports: no I/O library is imported by core. */
export interface CoreDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  hasher: SecretHasher;
  events: EventBus;
}

export const isoNow = (clock: Clock): string => clock.now().toISOString();
