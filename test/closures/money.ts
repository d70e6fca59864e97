/** A small value class for test/closures/captured_values.test.ts: registered, so its instances travel. */
import { requireForSerialization } from "apache-beam/serialization";

/** An amount in paise. */
export class Money {
  constructor(readonly paise: number) {}

  /** This amount plus `other`. */
  plus(other: Money): Money {
    return new Money(this.paise + other.paise);
  }
}

requireForSerialization("beam-ts-native/test/closures/money", exports);
