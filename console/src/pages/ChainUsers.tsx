// A chain's users: identities issued by an org's CA for applications and
// people. "kept" keys stay sealed in the BaaS (the REST gateway signs as
// them); "download" keys are shown once, here, and never kept.
import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { Badge, DataTable, Empty, ErrorBox } from "../components";
import { problemMessage } from "../lib/format";

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/x-pem-file" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

export function ChainUsers({ chain }: { chain: string }) {
  const path = { params: { path: { chain } } };
  const [users, setUsers] = useState<Schemas["ChainUser"][] | null>(null);
  const [name, setName] = useState("");
  const [custody, setCustody] = useState("kept");
  const [key, setKey] = useState<{ name: string; pem: string } | null>(null);
  const [token, setToken] = useState<{ user: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load() {
    const r = await api.GET("/api/chains/{chain}/users", path);
    if (r.data) setUsers(r.data);
    else setError(problemMessage(r.error, r.response.status));
  }
  useEffect(() => {
    load();
  }, [chain]);

  async function enroll(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const r = await api.POST("/api/chains/{chain}/users", { ...path, body: { name, custody } });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    if (r.data.private_key_pem) setKey({ name: r.data.user.name, pem: r.data.private_key_pem });
    setName("");
    load();
  }

  async function bindToken(user: Schemas["ChainUser"]) {
    setError(null);
    const r = await api.POST("/api/chains/{chain}/users/{user}/tokens", {
      params: { path: { chain, user: user.id } },
      body: { name: `${user.name}-app` },
    });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setToken({ user: user.name, token: r.data.token });
  }

  async function revoke(user: string) {
    setError(null);
    const r = await api.POST("/api/chains/{chain}/users/{user}/revoke", { params: { path: { chain, user } } });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    load();
  }

  return (
    <main>
      <h1>Chain users</h1>
      <ErrorBox message={error} />
      {key && (
        <div className="notice" role="status">
          The private key of {key.name} is shown this once and not kept.{" "}
          <button type="button" onClick={() => download(`${key.name}.key.pem`, key.pem)}>
            Download the key
          </button>
        </div>
      )}
      {token && (
        <div className="notice" role="status">
          An API token for applications acting as {token.user}, shown this once: <code>{token.token}</code>
        </div>
      )}
      {users && users.length === 0 && <Empty>No chain users yet: enroll one for each application or person.</Empty>}
      {users && users.length > 0 && (
        <DataTable
          label="Chain users"
          rows={users}
          rowKey={(u) => u.id}
          columns={[
            { header: "Name", cell: (u) => u.name },
            { header: "Org", cell: (u) => u.org },
            { header: "Custody", cell: (u) => u.custody },
            { header: "Signs for", cell: (u) => (u.person_id ? "its person, in the REST gateway" : "applications") },
            { header: "Certificate ends", cell: (u) => new Date(u.not_after * 1000).toLocaleDateString() },
            { header: "Status", cell: (u) => <Badge status={u.revoked_at ? "revoked" : "valid"} /> },
            {
              header: "Actions",
              cell: (u) => (
                <span className="buttons">
                  <button type="button" className="small" onClick={() => download(`${u.name}.cert.pem`, u.certificate_pem)}>
                    certificate
                  </button>
                  {!u.revoked_at && u.custody === "kept" && (
                    <button type="button" className="small" onClick={() => bindToken(u)} aria-label={`token for ${u.name}`}>
                      API token
                    </button>
                  )}
                  {!u.revoked_at && (
                    <button type="button" className="small" onClick={() => revoke(u.id)} aria-label={`revoke ${u.name}`}>
                      revoke
                    </button>
                  )}
                </span>
              ),
            },
          ]}
        />
      )}
      <h2>Enroll</h2>
      <form onSubmit={enroll} aria-label="Enroll a chain user" className="inline">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Key custody
          <select value={custody} onChange={(e) => setCustody(e.target.value)}>
            <option value="kept">kept by the BaaS</option>
            <option value="download">download once</option>
          </select>
        </label>
        <button type="submit">Enroll</button>
      </form>
    </main>
  );
}
