/**
 * The aggregates dashboard's figures, from what a streaming job produces: the panes of revenue per
 * category per minute (the windowed aggregate, early / on-time / late), and running totals of the
 * valid transactions for the top-5 sales channels by revenue and customer states by quantity.
 *
 * Panes accumulate (each holds its minute's total so far), so the latest pane of each (category,
 * minute) is that minute's figure, and their sum per category is what the aggregate table holds.
 */
import { revenueOf, type Transaction } from "../transforms/transaction";
import type { CategoryMinute } from "../transforms/revenue_per_minute";

const TOP = 5;
const RECENT_PANES = 20;
/** Earlier panes kept per (category, minute), for the chart's markers. */
const EARLIER_PANES = 30;

/** One pane's figure, as the chart marks it. */
export interface PaneFigure {
  timing: string;
  update: number;
  revenue: number;
}

/** The latest pane of a (category, minute), with the panes before it (oldest first). */
export type MinuteFigure = CategoryMinute & { earlier: PaneFigure[] };

/** What the dashboard shows. Money in rupees as computed (the page prints two decimals). */
export interface DashboardView {
  /** Latest pane of each (category, minute), minutes in order, with the panes before it. */
  minutes: MinuteFigure[];
  /** Sum of the latest panes per category, by revenue. */
  categories: { category: string; revenue: number; count: number }[];
  /** Panes received so far by timing. */
  panes: { EARLY: number; ON_TIME: number; LATE: number };
  /** The last panes received, newest first. */
  recentPanes: CategoryMinute[];
  topChannels: { salesChannel: string; revenue: number }[];
  topStates: { customerState: string; quantity: number }[];
  transactions: number;
}

/** Collects the dashboard's figures from panes and transactions as they pass. */
export class AggregatesWatch {
  private readonly latest = new Map<string, MinuteFigure>();
  private readonly paneCounts = { EARLY: 0, ON_TIME: 0, LATE: 0 };
  private recent: CategoryMinute[] = [];
  private readonly channelRevenue = new Map<string, number>();
  private readonly stateQuantity = new Map<string, number>();
  private transactions = 0;

  /** A pane of the per-minute aggregate. */
  addPane(pane: CategoryMinute): void {
    const key = `${pane.category}\u0000${pane.minuteStartMs}`;
    const before = this.latest.get(key);
    if (before === undefined) this.latest.set(key, { ...pane, earlier: [] });
    else if (pane.update > before.update) {
      const earlier = [...before.earlier, { timing: before.timing, update: before.update, revenue: before.revenue }].slice(-EARLIER_PANES);
      this.latest.set(key, { ...pane, earlier });
    }
    if (pane.timing in this.paneCounts) this.paneCounts[pane.timing as keyof DashboardView["panes"]]++;
    this.recent = [pane, ...this.recent.slice(0, RECENT_PANES - 1)];
  }

  /** A valid transaction. */
  addTransaction(t: Transaction): void {
    this.transactions++;
    this.channelRevenue.set(t.salesChannel, (this.channelRevenue.get(t.salesChannel) ?? 0) + revenueOf(t));
    this.stateQuantity.set(t.customerState, (this.stateQuantity.get(t.customerState) ?? 0) + t.quantity);
  }

  view(): DashboardView {
    const minutes = [...this.latest.values()].sort((a, b) => a.minuteStartMs - b.minuteStartMs || a.category.localeCompare(b.category));
    const totals = new Map<string, { revenue: number; count: number }>();
    for (const m of minutes) {
      const t = totals.get(m.category) ?? { revenue: 0, count: 0 };
      t.revenue += m.revenue;
      t.count += m.count;
      totals.set(m.category, t);
    }
    return {
      minutes,
      categories: [...totals].map(([category, t]) => ({ category, ...t })).sort((a, b) => b.revenue - a.revenue),
      panes: { ...this.paneCounts },
      recentPanes: this.recent,
      topChannels: top(this.channelRevenue).map(([salesChannel, revenue]) => ({ salesChannel, revenue })),
      topStates: top(this.stateQuantity).map(([customerState, quantity]) => ({ customerState, quantity })),
      transactions: this.transactions,
    };
  }
}

/** The largest {@link TOP} entries, largest first; ties by name in code unit order, as transforms/top_n.ts ranks. */
function top(totals: Map<string, number>): [string, number][] {
  return [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, TOP);
}
