import { describe, expect, it } from '@jest/globals';
import { isIdsyncError } from '../../src/domain/errors.js';
import { composeStore } from '../../src/store/shared/compose.js';

class Counter {
  #n = 0;
  constructor(private readonly step: number) {}
  bump(): number {
    this.#n += this.#by();
    return this.#n;
  }
  #by(): number {
    return this.step;
  }
}

class Greeter {
  constructor(private readonly name: string) {}
  greet(): string {
    return `hello ${this.name}`;
  }
}

describe('composeStore', () => {
  it('when parts are composed, then each method runs bound to its own part and fields and #private helpers stay out', () => {
    const composed = composeStore(new Counter(2), new Greeter('ada'), { ping: () => 'pong' });
    const { bump, greet } = composed;
    expect(bump()).toBe(2);
    expect(bump()).toBe(4);
    expect(greet()).toBe('hello ada');
    expect(composed.ping()).toBe('pong');
    expect(Object.keys(composed).sort()).toEqual(['bump', 'greet', 'ping']);
    expect(Object.isFrozen(composed)).toBe(true);
  });

  it('when two parts bring a method of one name, then composing is refused naming both', () => {
    let caught: unknown;
    try {
      composeStore(new Greeter('a'), new Greeter('b'));
    } catch (err) {
      caught = err;
    }
    expect(isIdsyncError(caught, 'internal')).toBe(true);
    expect((caught as Error).message).toMatch(/Greeter and Greeter both define greet/);
  });

  it('when a part is left out, then the result does not type as the whole (a compile error) and lacks the method', () => {
    // @ts-expect-error the Counter part (bump) is missing, so this is not a Counter & Greeter
    const partial: Pick<Counter, 'bump'> & Pick<Greeter, 'greet'> = composeStore(new Greeter('a'));
    expect('bump' in partial).toBe(false);
  });
});
