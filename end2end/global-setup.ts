// scripts/test starts the server without waiting for it: poll /healthz.
export default async function globalSetup() {
  const base = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server at ${base} did not become healthy within 120 s`);
}
