import { useState, type FormEvent } from "react";
import { api, setToken, type Schemas } from "../api/client";
import { ErrorBox } from "../components";
import { problemMessage } from "../lib/format";

// Signs in and hands the user to `onSignedIn`, which decides where to go:
// the console and the notary app share this form.
export function Login({ onSignedIn, title = "Weft" }: { onSignedIn: (user: Schemas["User"]) => void; title?: string }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const { data, error, response } = await api.POST("/api/auth/login", { body: { username, password } });
    setBusy(false);
    if (!data) {
      setError(problemMessage(error, response.status));
      return;
    }
    setToken(data.token);
    onSignedIn(data.user);
  }

  return (
    <main className="login">
      <h1>{title}</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          Username
          <input
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="username"
            placeholder="name@tenant"
            title="A tenant's people sign in as name@tenant; platform admins with their name alone."
            required
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="current-password"
            required
          />
        </label>
        <ErrorBox message={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
