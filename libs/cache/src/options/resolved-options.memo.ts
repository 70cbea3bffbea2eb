/**
 * Remembers what an options object resolved to, per options object and module defaults, so a call that
 * passes the same object again (a constant, or none) parses and validates nothing.
 * NOTE: the options' own fields (and the items of array fields, e.g. `tags`) are compared on every use, so a
 * caller who changes the object or its arrays in place gets it resolved (and validated) again.
 */
export class ResolvedOptionsMemo<Options extends object, Defaults extends object, Resolved> {
  private readonly resolved = new WeakMap<Options, { fields: unknown[]; defaults: Defaults; value: Resolved }>();

  constructor(
    private readonly fields: readonly (keyof Options)[],
    private readonly resolve: (options: Options, defaults: Defaults) => Resolved,
  ) {}

  /** `resolve(options, defaults)`, from memory when neither has changed; throws what `resolve` throws. */
  get(options: Options, defaults: Defaults): Resolved {
    const known = this.resolved.get(options);
    if (known !== undefined && known.defaults === defaults && this.unchanged(options, known.fields)) return known.value;
    const value = this.resolve(options, defaults);
    this.resolved.set(options, { fields: this.fields.map((field) => snapshot(options[field])), defaults, value });
    return value;
  }

  private unchanged(options: Options, fields: readonly unknown[]): boolean {
    for (let index = 0; index < fields.length; index += 1) {
      if (!sameField(options[this.fields[index]], fields[index])) return false;
    }
    return true;
  }
}

function snapshot(value: unknown): unknown {
  return Array.isArray(value) ? [...(value as unknown[])] : value;
}

function sameField(current: unknown, remembered: unknown): boolean {
  if (!Array.isArray(remembered)) return current === remembered;
  if (!Array.isArray(current) || current.length !== remembered.length) return false;
  for (let index = 0; index < remembered.length; index += 1) {
    if (current[index] !== remembered[index]) return false;
  }
  return true;
}
