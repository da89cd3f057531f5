import { useEffect, useState } from "react";
import { api, setToken, token } from "./api/client";
import { ChainOverview } from "./pages/ChainOverview";
import { ChainUsers } from "./pages/ChainUsers";
import { Admin } from "./pages/Admin";
import { Audit } from "./pages/Audit";
import { Block } from "./pages/Block";
import { Chains } from "./pages/Chains";
import { Contracts } from "./pages/Contracts";
import { Login } from "./pages/Login";
import { NewChain } from "./pages/NewChain";
import { Operations } from "./pages/Operations";
import { Team } from "./pages/Team";
import { Usage } from "./pages/Usage";
import { Link, navigate, usePath } from "./router";

export function App() {
  const path = usePath();
  const [user, setUser] = useState<string | null>(null);
  const [tenant, setTenant] = useState<string | null>(null);

  useEffect(() => {
    if (!token()) return;
    api.GET("/api/me").then(({ data }) => {
      if (data) {
        setUser(data.username);
        setTenant(data.tenant_id ?? null);
      }
      else {
        setToken(null);
        navigate("/login");
      }
    });
  }, []);

  const signedIn = (u: { username: string; tenant_id?: string | null }) => {
    setUser(u.username);
    setTenant(u.tenant_id ?? null);
    if (window.location.pathname === "/login") navigate("/chains");
  };
  if (!token() || path === "/login") return <Login onSignedIn={signedIn} />;

  async function signOut() {
    await api.POST("/api/auth/logout");
    setToken(null);
    setUser(null);
    navigate("/login");
  }

  const chain =
    path === "/chains/new" ? null : path.match(/^\/chains\/([^/]+)(?:\/(contracts|operations|users|blocks)(?:\/(\d+))?)?$/);
  let page;
  if (path === "/chains/new") page = <NewChain />;
  else if (chain && chain[2] === "contracts") page = <Contracts chain={chain[1]} />;
  else if (chain && chain[2] === "operations") page = <Operations chain={chain[1]} />;
  else if (chain && chain[2] === "users") page = <ChainUsers chain={chain[1]} />;
  else if (chain && chain[2] === "blocks" && chain[3]) page = <Block chain={chain[1]} number={Number(chain[3])} />;
  else if (chain) page = <ChainOverview id={chain[1]} />;
  else if (path === "/usage") page = <Usage tenant={tenant} />;
  else if (path === "/audit") page = <Audit />;
  else if (path === "/team") page = <Team tenant={tenant} me={user} />;
  else if (path === "/admin") page = <Admin />;
  else page = <Chains />;

  return (
    <>
      <header>
        <nav aria-label="Main">
          <Link to="/chains" className="brand">
            Weft
          </Link>
          <Link to="/chains">Chains</Link>
          <Link to="/usage">Usage</Link>
          <Link to="/audit">Audit</Link>
          {tenant && <Link to="/team">Team</Link>}
          {!tenant && user && <Link to="/admin">Platform</Link>}
          {chain && (
            <>
              <Link to={`/chains/${chain[1]}`}>Overview</Link>
              <Link to={`/chains/${chain[1]}/contracts`}>Contracts</Link>
              <Link to={`/chains/${chain[1]}/users`}>Users</Link>
              {/* The notary demo is its own app (apps/notary), on the same session. */}
              <a href={`/notary/?chain=${encodeURIComponent(chain[1])}`}>Notary</a>
              <Link to={`/chains/${chain[1]}/operations`}>Operations</Link>
            </>
          )}
        </nav>
        <div>
          {user && <span className="user">{user}</span>}{" "}
          <button type="button" className="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      {page}
    </>
  );
}
