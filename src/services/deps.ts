import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';

export interface ServiceDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
}
