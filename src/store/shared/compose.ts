import { IdsyncError } from '../../domain/errors.js';

/** The public methods of one part (its fields and TypeScript-private members are not in keyof). */
type MethodsOf<P> = { [K in keyof P as P[K] extends (...args: never[]) => unknown ? K : never]: P[K] };
type EachPart<P> = P extends unknown ? MethodsOf<P> : never;
type Intersect<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The object composeStore returns: every public method of every part. */
export type Composed<P extends readonly object[]> = Intersect<EachPart<P[number]>>;

/**
 * Binds the methods of a backend's area parts into one object, so a backend is its parts side by
 * side (delegation) rather than a class chain or a forwarding class. Assigning the result to `Store`
 * is what checks completeness: a part that lacks a port method is a compile error there.
 *
 * Methods are taken from each part's prototype chain (class parts) and from its own function-valued
 * properties (object-literal parts); a part keeps its helpers `#private` or in its module, because
 * a name that two parts both bring is refused here rather than silently shadowed.
 */
export function composeStore<P extends readonly object[]>(...parts: P): Composed<P> {
  const out: Record<string, unknown> = {};
  const owner = new Map<string, object>();
  for (const part of parts) {
    for (const name of methodNames(part)) {
      const fn = (part as Record<string, unknown>)[name];
      if (typeof fn !== 'function') continue;
      const seen = owner.get(name);
      if (seen !== undefined && seen !== part) {
        throw new IdsyncError('internal', `store parts ${seen.constructor.name} and ${part.constructor.name} both define ${name}`);
      }
      owner.set(name, part);
      out[name] = (fn as (...args: unknown[]) => unknown).bind(part);
    }
  }
  return Object.freeze(out) as Composed<P>;
}

function methodNames(part: object): Set<string> {
  const names = new Set<string>(Object.keys(part));
  for (let proto = Object.getPrototypeOf(part) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
  }
  return names;
}
