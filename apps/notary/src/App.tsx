// The notary app: sign in (the console's form and session), pick a running
// chain, then notarize a document or verify one. Two pages on the console's
// router: /notary/ and /notary/verify; the chain rides in ?chain= so a link
// from the console's chain lands on it.
import { useEffect, useState } from "react";
import { api, setToken, token } from "../../../console/src/api/client";
import { ErrorBox } from "../../../console/src/components";
import { problemMessage } from "../../../console/src/lib/format";
import { Login } from "../../../console/src/pages/Login";
import { Link, navigate, usePath } from "../../../console/src/router";
import { pickChain } from "./certificate";
import { Notarize } from "./Notarize";
import { Verify } from "./Verify";

interface ChainRow {
  id: string;
  name: string;
  status: string;
}

function chainParam(): string | null {
  return new URLSearchParams(window.location.search).get("chain");
}

export function App() {
  const path = usePath();
  // undefined while a session carried over from the console is checked.
  const [user, setUser] = useState<string | null | undefined>(token() ? undefined : null);
  const [chains, setChains] = useState<ChainRow[] | null>(null);
  const [chain, setChain] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  // A session from the console (same tab) carries over; an ended one asks
  // for a sign-in.
  useEffect(() => {
    if (!token()) return;
    api.GET("/api/me").then(({ data }) => {
      if (data) return setUser(data.username);
      setToken(null);
      setUser(null);
    });
  }, []);

  useEffect(() => {
    if (!user) return;
    api.GET("/api/chains").then(({ data, error, response }) => {
      if (!data) return setError(problemMessage(error, response.status));
      setChains(data);
      const picked = pickChain(chainParam(), data);
      setChain(picked.id);
      setNotice(picked.reason);
    });
  }, [user]);

  if (user === undefined) return <p role="status">Checking your session…</p>;
  if (!token() || !user) return <Login title="Weft notary" onSignedIn={(u) => setUser(u.username)} />;

  const query = chain ? `?chain=${encodeURIComponent(chain)}` : "";
  const choose = (id: string) => {
    setChain(id || null);
    setNotice(null);
    navigate(`${window.location.pathname}${id ? `?chain=${encodeURIComponent(id)}` : ""}`);
  };
  const running = (chains ?? []).filter((c) => c.status === "running");

  return (
    <>
      <header className="no-print">
        <nav aria-label="Notary">
          <span className="brand">Weft notary</span>
          <Link to={`/notary/${query}`}>Notarize</Link>
          <Link to={`/notary/verify${query}`}>Verify</Link>
          <a href={chain ? `/chains/${chain}` : "/chains"}>Console</a>
        </nav>
        <span className="user">{user}</span>
      </header>
      <main>
        <ErrorBox message={error} />
        {notice && <p role="note">{notice}</p>}
        {chains && (
          <label className="no-print">
            Chain
            <select value={chain ?? ""} onChange={(e) => choose(e.target.value)}>
              <option value="">Choose a running chain…</option>
              {running.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {chain && (path.endsWith("/verify") ? <Verify chain={chain} /> : <Notarize chain={chain} />)}
      </main>
    </>
  );
}
