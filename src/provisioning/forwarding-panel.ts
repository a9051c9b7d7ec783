/**
 * The forwarding panel of a logged-in agent: open or closed, the form as typed, busy while loading or
 * saving, the field a check refused, the last failure, saved. No DOM: `src/ui/forwarding.ts` renders
 * it. One panel per session (a new login starts with a closed, empty one).
 */
import { SoftPhoneError } from '../errors.js';
import { checkForwarding, type ForwardingSettings } from './forwarding.js';

/** The forwarding form as typed: text fields, empty = off. */
export interface ForwardingForm {
  always: string;
  busy: string;
  noAnswer: string;
  seconds: string;
  unavailable: string;
}
export type ForwardingField = keyof ForwardingForm;

/** What the panel needs of the session: the extension's settings, read and written, and a re-render. */
export interface ForwardingAccess {
  get(): Promise<ForwardingSettings>;
  set(settings: ForwardingSettings): Promise<ForwardingSettings>;
  /** The extension the agent is logged in at (the check refuses forwarding to itself). */
  extension(): string | undefined;
  changed(): void;
}

const EMPTY_FORM: ForwardingForm = { always: '', busy: '', noAnswer: '', seconds: '20', unavailable: '' };

export function formFromSettings(s: ForwardingSettings): ForwardingForm {
  return {
    always: s.always ?? '',
    busy: s.busy ?? '',
    noAnswer: s.noAnswer?.target ?? '',
    seconds: String(s.noAnswer?.seconds ?? EMPTY_FORM.seconds),
    unavailable: s.unavailable ?? '',
  };
}

/** The settings a form stands for; the seconds stay as typed when they are not a number, so the check names them. */
export function settingsFromForm(f: ForwardingForm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['always', 'busy', 'unavailable'] as const) if (f[key].trim()) out[key] = f[key].trim();
  if (f.noAnswer.trim()) {
    const s = f.seconds.trim();
    out.noAnswer = { target: f.noAnswer.trim(), seconds: /^[0-9]+$/.test(s) ? Number(s) : s };
  }
  return out;
}

const FIELD_OF: Record<string, ForwardingField> = {
  always: 'always',
  busy: 'busy',
  unavailable: 'unavailable',
  'noAnswer.target': 'noAnswer',
  'noAnswer.seconds': 'seconds',
};

export class ForwardingPanel {
  open = false;
  /** Loading or saving. */
  busy = false;
  /** What the agent typed; kept through failures until saved. */
  form: ForwardingForm | undefined;
  /** The field the last check refused, and why (the `checkForwarding` message). */
  invalid?: { field: ForwardingField; message: string };
  error?: SoftPhoneError;
  saved = false;

  readonly #io: ForwardingAccess;

  constructor(io: ForwardingAccess) {
    this.#io = io;
  }

  toggle(): Promise<void> {
    this.open = !this.open;
    this.#io.changed();
    // Loaded once per session; what the agent typed is never replaced by a reload.
    return this.open && !this.form && !this.busy ? this.load() : Promise.resolve();
  }

  async load(): Promise<void> {
    this.saved = false;
    this.error = undefined;
    await this.#request(async () => {
      const settings = await this.#io.get();
      this.form ??= formFromSettings(settings);
    });
  }

  edit(field: ForwardingField, value: string): void {
    this.form = { ...(this.form ?? EMPTY_FORM), [field]: value };
    this.saved = false;
    if (this.invalid?.field === field) this.invalid = undefined;
    this.#io.changed();
  }

  /** Saves the form: checked first (the refused field is marked, nothing sent), then PUT. */
  async save(): Promise<void> {
    const check = checkForwarding(settingsFromForm(this.form ?? EMPTY_FORM), this.#io.extension());
    this.invalid = undefined;
    this.error = undefined;
    if (!check.ok) {
      this.invalid = { field: FIELD_OF[check.field] ?? 'always', message: check.message };
      this.#io.changed();
      throw new SoftPhoneError('INVALID_CONFIG', `Forwarding: ${check.message}`);
    }
    await this.#request(async () => {
      this.form = formFromSettings(await this.#io.set(check.value));
      this.saved = true;
    });
  }

  /** Runs a request with the panel busy meanwhile; a failure is kept on the panel and rethrown. */
  async #request(request: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.#io.changed();
    try {
      await request();
    } catch (e) {
      this.error = e as SoftPhoneError;
      throw e;
    } finally {
      this.busy = false;
      this.#io.changed();
    }
  }
}
