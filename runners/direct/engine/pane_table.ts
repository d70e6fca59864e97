/**
 * The panes a grouping holds, by window and key. A grouping looks up a pane for every element it
 * takes in: by window id, then by the key itself (key_map.ts), so no string is built per element (a
 * flat table would be keyed by the two joined). Panes are visited in the order they were opened, as
 * a grouping fires them.
 */
import { KeyMap } from "./key_map";

/** What the table needs of a pane: its window's grouping identity, its key and the key's. */
export interface TablePane {
  windowId: string;
  key: unknown;
  keyId: string;
}

export class PaneTable<P extends TablePane> {
  /** Every pane, in the order it was opened (panes fire in this order). */
  private readonly opened = new Map<string, P>();
  /** The same panes by window id, then key. */
  private readonly byWindow = new Map<string, KeyMap<P>>();

  /** `keyIdentity`: the grouping identity of keys (the `keyId` of their panes). */
  constructor(private readonly keyIdentity: (key: unknown) => string) {}

  get size(): number {
    return this.opened.size;
  }

  get(windowId: string, key: unknown): P | undefined {
    return this.byWindow.get(windowId)?.get(key);
  }

  /** Adds `pane`, or puts it in the place of the pane of the same window and key. */
  set(pane: P): void {
    this.opened.set(openedId(pane), pane);
    let panes = this.byWindow.get(pane.windowId);
    if (panes === undefined) {
      panes = new KeyMap(this.keyIdentity);
      this.byWindow.set(pane.windowId, panes);
    }
    panes.set(pane.key, pane);
  }

  /** Removes the pane of `pane`'s window and key (safe while iterating {@link values}). */
  delete(pane: TablePane): void {
    this.opened.delete(openedId(pane));
    const panes = this.byWindow.get(pane.windowId);
    if (panes === undefined) return;
    panes.delete(pane.key);
    if (panes.size === 0) this.byWindow.delete(pane.windowId);
  }

  /** The panes in the order they were opened. */
  values(): IterableIterator<P> {
    return this.opened.values();
  }
}

function openedId(pane: TablePane): string {
  return pane.windowId + "\u0000" + pane.keyId;
}
