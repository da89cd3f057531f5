import { useEffect, useState } from "react";
import { api, setToken, token } from "./api/client";
import { ChainOverview } from "./pages/ChainOverview";
import { Chains } from "./pages/Chains";
import { Contracts } from "./pages/Contracts";
import { Login } from "./pages/Login";
import { NewChain } from "./pages/NewChain";
import { Notary } from "./pages/Notary";
import { Link, navigate, usePath } from "./router";

export function App() {
  const path = usePath();
  const [user, setUser] = useState<string | null>(null);

  useEffect(() => {
    if (!token()) return;
    api.GET("/api/me").then(({ data }) => {
      if (data) setUser(data.username);
      else {
        setToken(null);
        navigate("/login");
      }
    });
  }, []);

  if (!token() || path === "/login") return <Login onSignedIn={setUser} />;

  async function signOut() {
    await api.POST("/api/auth/logout");
    setToken(null);
    setUser(null);
    navigate("/login");
  }

  const chain = path === "/chains/new" ? null : path.match(/^\/chains\/([^/]+)(?:\/(contracts|notary))?$/);
  let page;
  if (path === "/chains/new") page = <NewChain />;
  else if (chain && chain[2] === "contracts") page = <Contracts chain={chain[1]} />;
  else if (chain && chain[2] === "notary") page = <Notary chain={chain[1]} />;
  else if (chain) page = <ChainOverview id={chain[1]} />;
  else page = <Chains />;

  return (
    <>
      <header>
        <nav aria-label="Main">
          <Link to="/chains" className="brand">
            Weft
          </Link>
          <Link to="/chains">Chains</Link>
          {chain && (
            <>
              <Link to={`/chains/${chain[1]}`}>Overview</Link>
              <Link to={`/chains/${chain[1]}/contracts`}>Contracts</Link>
              <Link to={`/chains/${chain[1]}/notary`}>Notary</Link>
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
