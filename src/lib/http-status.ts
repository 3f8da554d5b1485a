/** An HTTP status by its class, for metric labels: `2xx`, `5xx`, or `none` when there was no answer. */
export const statusClass = (status: number | null) =>
  status === null ? 'none' : `${Math.floor(status / 100)}xx`;
