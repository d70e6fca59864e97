/**
 * Where transactions happen: each customer state of the fixtures' vocabulary placed at its largest
 * city, and the great-circle distance that tells a trip from an impossible one.
 */
import { CUSTOMER_STATES } from "../../fixtures/vocabulary";

/** A state and the coordinates (degrees) transactions there are placed around. */
export interface Place {
  state: string;
  latitude: number;
  longitude: number;
}

const CITY_COORDINATES: Readonly<Record<string, readonly [number, number]>> = {
  Maharashtra: [19.076, 72.8777], // Mumbai
  Gujarat: [23.0225, 72.5714], // Ahmedabad
  Delhi: [28.6139, 77.209],
  "Uttar Pradesh": [26.8467, 80.9462], // Lucknow
  Rajasthan: [26.9124, 75.7873], // Jaipur
  Karnataka: [12.9716, 77.5946], // Bengaluru
  Kerala: [9.9312, 76.2673], // Kochi
  "Tamil Nadu": [13.0827, 80.2707], // Chennai
  Telangana: [17.385, 78.4867], // Hyderabad
  "West Bengal": [22.5726, 88.3639], // Kolkata
};

/** The states, in the vocabulary's order (a state's index is its code in the `state` columns). */
export const PLACES: readonly Place[] = CUSTOMER_STATES.map(({ state }) => {
  const coordinates = CITY_COORDINATES[state];
  if (coordinates === undefined) throw new Error(`geography: no coordinates for state '${state}'`);
  return { state, latitude: coordinates[0], longitude: coordinates[1] };
});

/** Shortest distance from which a trip in minutes is impossible (a flight takes hours door to door). */
export const FAR_KM = 1000;

/** Great-circle distance in km between two points given in degrees (haversine, mean Earth radius). */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(a));
}

/** For each state index, the indexes of the states at least {@link FAR_KM} away from its city. */
export const FAR_PLACES: readonly (readonly number[])[] = PLACES.map((home) =>
  PLACES.flatMap((place, index) => (distanceKm(home.latitude, home.longitude, place.latitude, place.longitude) >= FAR_KM ? [index] : [])),
);

for (const [index, far] of FAR_PLACES.entries()) {
  if (far.length === 0) throw new Error(`geography: no state is ${FAR_KM} km from ${PLACES[index].state}`);
}
