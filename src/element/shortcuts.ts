/**
 * Keyboard shortcuts (off unless the host turns them on): answer, hang up, mute, hold and the
 * dialpad, on keys anywhere in the page, so an agent typing in the CRM can take a call. A key is
 * `Modifier+...+Key` (`Alt+Shift+A`, `Ctrl+F2`); letters and digits match the physical key, so
 * layouts and Alt combinations that change the typed character still work.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { showValue } from '../core/show-value.js';
import { SoftPhoneError } from '../errors.js';

export const SHORTCUT_ACTIONS = ['answer', 'hangup', 'mute', 'hold', 'dialpad'] as const;
export type ShortcutAction = (typeof SHORTCUT_ACTIONS)[number];
export type Shortcuts = Partial<Record<ShortcutAction, string>>;

/** `shortcuts = true` (or the attribute): these keys. */
export const DEFAULT_SHORTCUTS: Readonly<Required<Shortcuts>> = {
  answer: 'Alt+Shift+A',
  hangup: 'Alt+Shift+H',
  mute: 'Alt+Shift+M',
  hold: 'Alt+Shift+P',
  dialpad: 'Alt+Shift+D',
};

const MODIFIERS = ['alt', 'ctrl', 'meta', 'shift'] as const;

/** A key as `alt+ctrl+meta+shift+<key>` in that order, the key lowercased (`keya`, `digit1`, `f2`). */
function keyId(mods: Record<(typeof MODIFIERS)[number], boolean>, key: string): string {
  return [...MODIFIERS.filter((m) => mods[m]), key.toLowerCase()].join('+');
}

function parseKey(action: string, text: unknown): string {
  const parts = typeof text === 'string' ? text.split('+').map((p) => p.trim()).filter(Boolean) : [];
  const key = parts.pop() ?? '';
  const mods = parts.map((p) => p.toLowerCase().replace(/^control$/, 'ctrl'));
  if (!key || mods.some((m) => !(MODIFIERS as readonly string[]).includes(m))) {
    throw new SoftPhoneError('INVALID_CONFIG', `shortcuts.${action} ${showValue(text)} is not a key such as "Alt+Shift+A"`);
  }
  const code = /^[a-z]$/i.test(key) ? `Key${key.toUpperCase()}` : /^[0-9]$/.test(key) ? `Digit${key}` : key;
  return keyId(Object.fromEntries(MODIFIERS.map((m) => [m, mods.includes(m)])) as Record<(typeof MODIFIERS)[number], boolean>, code);
}

/** The key -> action table: `false`/`null`/absent: none; `true`: the defaults; an object: those actions only. */
export function parseShortcuts(value: unknown): Map<string, ShortcutAction> {
  const table = new Map<string, ShortcutAction>();
  if (value === undefined || value === null || value === false) return table;
  const given = value === true ? DEFAULT_SHORTCUTS : value;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new SoftPhoneError('INVALID_CONFIG', `shortcuts ${showValue(value)} is not true or an object such as { "answer": "Alt+Shift+A" }`);
  }
  for (const [action, key] of Object.entries(given)) {
    if (!(SHORTCUT_ACTIONS as readonly string[]).includes(action)) {
      throw new SoftPhoneError('INVALID_CONFIG', `shortcuts: ${showValue(action)} is not one of ${SHORTCUT_ACTIONS.join(', ')}`);
    }
    table.set(parseKey(action, key), action as ShortcutAction);
  }
  return table;
}

/** The action a key event means, by the physical key for letters and digits, else by the key name. */
export function shortcutFor(table: ReadonlyMap<string, ShortcutAction>, e: KeyboardEvent): ShortcutAction | undefined {
  const mods = { alt: e.altKey, ctrl: e.ctrlKey, meta: e.metaKey, shift: e.shiftKey };
  return table.get(keyId(mods, /^(Key[A-Z]|Digit[0-9])$/.test(e.code) ? e.code : e.key));
}

export class ShortcutController implements ReactiveController {
  readonly #value: () => unknown;
  readonly #act: (action: ShortcutAction) => void;
  #cache: { value: unknown; table: Map<string, ShortcutAction> } | undefined;

  constructor(host: ReactiveControllerHost, value: () => unknown, act: (action: ShortcutAction) => void) {
    this.#value = value;
    this.#act = act;
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('keydown', this.#onKey);
  }

  hostDisconnected(): void {
    document.removeEventListener('keydown', this.#onKey);
  }

  /** The table now; throws the `INVALID_CONFIG` of a bad value. */
  table(): Map<string, ShortcutAction> {
    const value = this.#value();
    const cached = this.#cache;
    if (cached && cached.value === value) return cached.table;
    const table = parseShortcuts(value);
    this.#cache = { value, table };
    return table;
  }

  #onKey = (e: KeyboardEvent): void => {
    let action: ShortcutAction | undefined;
    try {
      action = shortcutFor(this.table(), e);
    } catch {
      return; // a bad value is reported as a configuration error
    }
    if (!action) return;
    e.preventDefault();
    this.#act(action);
  };
}
