/** A firmware as `title@version`, e.g. `ump-sim@1.0.0`. */
export interface FirmwareRef {
  title: string;
  version: string;
}

/** What a simulated device runs unless `--firmware` says otherwise. */
export const DEFAULT_FIRMWARE: Readonly<FirmwareRef> = Object.freeze({ title: 'ump-sim', version: '1.0.0' });

/**
 * Parses `title@version` (split at the last `@`, so a title may contain one). Returns an
 * error message instead of throwing: the CLI collects every problem before it reports.
 */
export function parseFirmwareRef(text: string): FirmwareRef | { error: string } {
  const at = text.lastIndexOf('@');
  const title = at > 0 ? text.slice(0, at) : '';
  const version = at > 0 ? text.slice(at + 1) : '';
  if (!title || !version || /\s/.test(text)) return { error: `must be title@version without spaces, e.g. ump-sim@1.0.0, got '${text}'` };
  if (title.length > 200 || version.length > 100) return { error: `title (200) or version (100) is too long in '${text}'` };
  return { title, version };
}

/**
 * The firmware a device runs right now. One per device; telemetry reads `version` at every
 * point, and the OTA agent replaces both fields at once when an update completes.
 */
export class DeviceFirmware implements FirmwareRef {
  title: string;
  version: string;
  constructor(initial: FirmwareRef) {
    this.title = initial.title;
    this.version = initial.version;
  }
  install(next: FirmwareRef): void {
    this.title = next.title;
    this.version = next.version;
  }
  runs(ref: FirmwareRef): boolean {
    return this.title === ref.title && this.version === ref.version;
  }
}
