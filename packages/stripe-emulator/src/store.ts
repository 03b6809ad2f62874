/**
 * The emulator's state: every Stripe object by id, kept in creation order per object type, plus the
 * deleted ids (Stripe answers a deleted customer with `{id, object, deleted: true}`).
 */
import { randomBytes } from 'node:crypto';

// Objects are stored in their wire shape; their fields are as open as Stripe's JSON.
export type StripeObject = { id: string; object: string; [field: string]: any };

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An id shaped like Stripe's: prefix, underscore, 24 base62 characters. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return `${prefix}_${id}`;
}

export class Store {
  private readonly byId = new Map<string, StripeObject>();
  private readonly byType = new Map<string, Map<string, StripeObject>>();
  private readonly deleted = new Set<string>();

  put<T extends StripeObject>(object: T): T {
    this.byId.set(object.id, object);
    let ofType = this.byType.get(object.object);
    if (!ofType) {
      ofType = new Map();
      this.byType.set(object.object, ofType);
    }
    ofType.set(object.id, object);
    return object;
  }

  /** The live object with this id, or undefined (also for deleted objects). */
  get(id: string, type?: string): StripeObject | undefined {
    const object = this.byId.get(id);
    if (!object || this.deleted.has(id)) return undefined;
    if (type && object.object !== type) return undefined;
    return object;
  }

  isDeleted(id: string): boolean {
    return this.deleted.has(id);
  }

  markDeleted(id: string): void {
    this.deleted.add(id);
  }

  /** Forgets everything (the reset test control). */
  clear(): void {
    this.byId.clear();
    this.byType.clear();
    this.deleted.clear();
  }

  /** Live objects of one type, oldest first. */
  all(type: string): StripeObject[] {
    return [...(this.byType.get(type)?.values() ?? [])].filter((object) => !this.deleted.has(object.id));
  }
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
