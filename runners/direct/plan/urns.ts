/** The URNs the plan treats specially. Everything else is a step run by an SDK operator. */
export const IMPULSE = "beam:transform:impulse:v1";
export const PAR_DO = "beam:transform:pardo:v1";
export const FLATTEN = "beam:transform:flatten:v1";
export const GROUP_BY_KEY = "beam:transform:group_by_key:v1";
export const COMBINE_PER_KEY = "beam:transform:combine_per_key:v1";
export const GLOBAL_WINDOW_MAPPING = "beam:window_mapping_fn:global:v1";
