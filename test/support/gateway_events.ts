/**
 * Valid gateway events for tests and the load test: a purchase, a customer's profile and a risk
 * score, each with fields that pass every rule (the final price is the discounted price to the
 * paisa), varied by `n` so that many of them are distinct.
 */
import type { ClientData, ScoreData, TransactionData } from "../../ingest/gateway/proto";

/** 2024-03-05 10:20:30 UTC. */
export const SAMPLE_EVENT_TIME_MS = Date.UTC(2024, 2, 5, 10, 20, 30);

/** A valid purchase: Rs. 1000.00 + n paise, 10 % off. */
export function sampleTransaction(n: number, overrides: Partial<TransactionData> = {}): Partial<TransactionData> {
  const price = 100_000 + n;
  return {
    transaction_id: `T-${n}`,
    user_id: `u${n % 97}`,
    product_id: "1234567890123",
    category: "Books",
    price_paise: String(price),
    discount_percent: 10,
    final_price_paise: String(Math.round(price * 0.9)),
    payment_method: "UPI",
    event_time_ms: String(SAMPLE_EVENT_TIME_MS + n * 1000),
    quantity: 2,
    sales_channel: "Web",
    customer_state: "Maharashtra",
    distribution_center: "DC-Mumbai",
    ...overrides,
  };
}

/** A valid customer profile. */
export function sampleClient(n: number, overrides: Partial<ClientData> = {}): Partial<ClientData> {
  return { user_id: `u${n}`, name: `Customer ${n}`, email: `c${n}@example.com`, state: "Delhi", city: "New Delhi", signup_time_ms: String(SAMPLE_EVENT_TIME_MS), ...overrides };
}

/** A valid risk score. */
export function sampleScore(n: number, overrides: Partial<ScoreData> = {}): Partial<ScoreData> {
  return { user_id: `u${n % 97}`, score: (n * 37) % 1001, model: "risk-v1", event_time_ms: String(SAMPLE_EVENT_TIME_MS + n), ...overrides };
}
