/**
 * Changing normals (groups[].episodes.adoptAfterMs) cross from the scorer to the trainer here. When
 * a series adopts a new normal, the scorer lets its windows into the clean buffer although the
 * current model flags them; the trainer's contamination check (the current model flags too much of
 * the buffer: refuse to fit) would then refuse exactly the refit that learns the new normal. So the
 * scorer records the model version an adoption happened under, and the trainer skips that check
 * for a buffer fitted against that version. Anything the scorer did not adopt is still checked.
 */
export interface AdoptionLog {
  /** Records that a series of `group` adopted a new normal while `version` was current. */
  record(group: string, version: string): Promise<void>;
  /** Whether any series of `group` adopted a new normal under `version`. */
  adoptedUnder(group: string, version: string): Promise<boolean>;
}

/** Embedded mode's and the unit tests' adoption log. */
export class InMemoryAdoptionLog implements AdoptionLog {
  private readonly versions = new Map<string, Set<string>>();

  async record(group: string, version: string): Promise<void> {
    const set = this.versions.get(group) ?? new Set<string>();
    set.add(version);
    this.versions.set(group, set);
  }

  async adoptedUnder(group: string, version: string): Promise<boolean> {
    return this.versions.get(group)?.has(version) ?? false;
  }
}
