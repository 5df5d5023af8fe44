import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';

export interface ServiceDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /**
   * Told after every member write that changed something (the one member writer calls it). The
   * daemon wakes the Shared Signals worker with it, so a SET leaves at once on the replica that made
   * the change rather than at the worker's next poll.
   */
  onMemberChanged?: () => void;
}
