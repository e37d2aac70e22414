/**
 * One line of `frontdesk doctor`: what was checked, whether it is fine, what was
 * seen (the platform's own words when it refused), and what to do when it is not.
 * Channel adapters export `doctorChecks(config): Promise<DoctorCheck[]>` from
 * adapters/<channel>/doctor.ts in this shape.
 */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** run a check, turning an unexpected throw into a red line instead of a crash */
export async function guarded(name: string, run: () => Promise<DoctorCheck[]>, fix: string): Promise<DoctorCheck[]> {
  try {
    return await run();
  } catch (err) {
    return [{ name, ok: false, detail: err instanceof Error ? err.message : String(err), fix }];
  }
}
