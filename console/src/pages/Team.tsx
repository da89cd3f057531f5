// The tenant's people: who may sign in to the console and the API, with
// which role. Tenant admins add and remove them; auditors may look.
import { useEffect, useState, type FormEvent } from "react";
import { api, type Schemas } from "../api/client";
import { DataTable, Empty, ErrorBox } from "../components";
import { problemMessage, when } from "../lib/format";

const ROLES: [string, string][] = [
  ["tenant-member", "member: chains, contracts, invokes"],
  ["tenant-admin", "admin: also people, quotas' use, billing"],
  ["auditor", "auditor: reads, exports the audit log"],
];

export function Team({ tenant, me }: { tenant: string | null; me: string | null }) {
  const [users, setUsers] = useState<Schemas["User"][] | null>(null);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState("tenant-member");
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load() {
    if (!tenant) return;
    const r = await api.GET("/api/tenants/{tenant}/users", { params: { path: { tenant } } });
    if (r.data) setUsers(r.data);
    else setError(problemMessage(r.error, r.response.status));
  }
  useEffect(() => {
    load();
  }, [tenant]);

  if (!tenant) return <main><Empty>Platform admins have no team here: open a tenant from the Platform page.</Empty></main>;

  async function add(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setNotice(null);
    const r = await api.POST("/api/tenants/{tenant}/users", {
      params: { path: { tenant: tenant! } },
      body: { username, password, role },
    });
    if (!r.data) return setError(problemMessage(r.error, r.response.status));
    setNotice(`${r.data.username} can sign in now, as ${r.data.role}. Give them the password another way than this page.`);
    setUsername("");
    setPassword("");
    load();
  }

  async function remove(user: Schemas["User"]) {
    if (!window.confirm(`Remove ${user.username}? Their sessions and API tokens stop working at once.`)) return;
    setError(null);
    setNotice(null);
    const r = await api.DELETE("/api/tenants/{tenant}/users/{user}", { params: { path: { tenant: tenant!, user: user.id } } });
    if (r.response.status !== 204) return setError(problemMessage(r.error, r.response.status));
    setNotice(`${user.username} was removed; what they did stays in the audit log.`);
    load();
  }

  return (
    <main>
      <h1>Team</h1>
      <ErrorBox message={error} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {users && users.length === 0 && <Empty>No one yet: add the first person below.</Empty>}
      {users && users.length > 0 && (
        <DataTable
          label="People"
          rows={users}
          rowKey={(u) => u.id}
          columns={[
            { header: "Username", cell: (u) => u.username },
            { header: "Role", cell: (u) => u.role },
            { header: "Since", cell: (u) => when(u.created_at) },
            {
              header: "Actions",
              cell: (u) =>
                u.username === me ? (
                  "you"
                ) : (
                  <button type="button" className="small" onClick={() => remove(u)} aria-label={`remove ${u.username}`}>
                    remove
                  </button>
                ),
            },
          ]}
        />
      )}
      <h2>Add a person</h2>
      <form onSubmit={add} aria-label="Add a person" className="inline">
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" required />
        </label>
        <label>
          Password (12 characters or more)
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" required />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {ROLES.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Add</button>
      </form>
    </main>
  );
}
