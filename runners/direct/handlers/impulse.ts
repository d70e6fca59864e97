/** Handler for `beam:transform:impulse:v1`: the single empty element every pipeline starts from. */
import { GlobalWindow, WindowedValue } from "apache-beam/values";
import { PaneInfoCoder } from "apache-beam/coders/standard_coders";
import { MIN_INSTANT } from "../../../sdk/time";

/** The impulse: an empty byte array in the global window at the minimum timestamp. */
export function impulseElement(): WindowedValue<unknown> {
  return { value: new Uint8Array(), windows: [new GlobalWindow()], pane: PaneInfoCoder.ONE_AND_ONLY_FIRING, timestamp: MIN_INSTANT };
}
