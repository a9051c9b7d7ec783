/**
 * How a value received from outside appears in an error message: as JSON, cut to 60 characters so
 * a whole list or a long string never floods the message. Never pass a password.
 *
 * `ifUndefined` names a missing value in the caller's wording (e.g. `missing`, `nothing`); without
 * it, `undefined` shows as `undefined`.
 */
export function showValue(value: unknown, ifUndefined?: string): string {
  if (value === undefined && ifUndefined !== undefined) return ifUndefined;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
