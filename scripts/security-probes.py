#!/usr/bin/env python3
"""Probes a live weft-baas the way an attacker would (issue #25) and says
which holes it finds. Only the standard library: run it from any machine
that reaches the server.

    python3 scripts/security-probes.py --base http://127.0.0.1:7080 \
        --admin-password "$WEFT_BAAS_ADMIN_PASSWORD"

It makes a throwaway tenant (probe-<random>) with its users and a solo-1
chain, then probes: token escalation through a bound token, a revoked
chain user's token, token listing and revocation, a password change ending
other sessions, webhooks pointed inside (SSRF), and numbers that overflow.
Every answer must be the refusal named; a 5xx anywhere is a hole too.
Exits 0 when no hole is found, 1 otherwise (each hole on its own line).
The chain is deleted at the end.
"""

import argparse
import json
import secrets
import sys
import time
import urllib.error
import urllib.request

PASSWORD = "a long probe password"


class Baas:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def call(self, method, path, token=None, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return status, raw.decode(errors="replace")

    def login(self, username, password):
        status, body = self.call("POST", "/api/auth/login", body={"username": username, "password": password})
        if status != 200:
            raise SystemExit(f"cannot log in as {username}: {status} {body}")
        return body["token"]


class Probes:
    def __init__(self):
        self.holes, self.passed = [], 0

    def expect(self, what, got, want, detail_has=None):
        status, body = got
        detail = body.get("detail", "") if isinstance(body, dict) else str(body)
        ok = status == want and (detail_has is None or detail_has in detail)
        if status >= 500:
            ok = False
        if ok:
            self.passed += 1
            print(f"ok    {what}: {status}")
        else:
            self.holes.append(f"{what}: got {status} {detail!r}, want {want}" + (f" saying {detail_has!r}" if detail_has else ""))
            print(f"HOLE  {self.holes[-1]}")


def wait_job(baas, token, job):
    deadline = time.time() + 180
    while time.time() < deadline:
        _, body = baas.call("GET", f"/api/jobs/{job}", token)
        if body.get("status") != "running":
            return body
        time.sleep(0.5)
    raise SystemExit(f"job {job} still running after 180 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:7080", help="the server's URL")
    parser.add_argument("--admin-password", required=True, help="the platform admin's password")
    parser.add_argument("--admin", default="admin", help="the platform admin's username")
    args = parser.parse_args()
    baas, p = Baas(args.base), Probes()

    admin = baas.login(args.admin, args.admin_password)
    name = "probe-" + secrets.token_hex(4)
    status, tenant = baas.call("POST", "/api/tenants", admin, {"name": name})
    if status != 201:
        raise SystemExit(f"cannot make a tenant: {status} {tenant}")
    tenant = tenant["id"]
    signin = {}
    for user, role in [("adm", "tenant-admin"), ("mem", "tenant-member")]:
        status, made = baas.call("POST", f"/api/tenants/{tenant}/users", admin, {"username": user, "password": PASSWORD, "role": role})
        if status != 201:
            raise SystemExit(f"cannot make a user: {status} {made}")
        signin[user] = made["username"]
    owner, member = baas.login(signin["adm"], PASSWORD), baas.login(signin["mem"], PASSWORD)

    # Usernames: another tenant's admin learns nothing of this tenant's.
    status, other_tenant = baas.call("POST", "/api/tenants", admin, {"name": name + "-b"})
    baas.call("POST", f"/api/tenants/{other_tenant.get('id')}/users", admin, {"username": "adm", "password": PASSWORD, "role": "tenant-admin"})
    stranger = baas.login("adm@" + name + "-b", PASSWORD)
    p.expect("a username taken in another tenant is free in this one",
             baas.call("POST", f"/api/tenants/{other_tenant.get('id')}/users", stranger, {"username": "mem", "password": PASSWORD, "role": "tenant-member"}), 201)

    # Token listing and revocation.
    status, issued = baas.call("POST", "/api/tokens", member, {"name": "probe"})
    p.expect("an API token is issued with an expiry", (status, issued), 201)
    p.expect("an API token for ten years is refused", baas.call("POST", "/api/tokens", member, {"name": "x", "expires_in_days": 3650}), 422, "expires_in_days")
    status, listed = baas.call("GET", "/api/tokens", member)
    leaked = isinstance(listed, list) and issued.get("token", "") in json.dumps(listed)
    p.expect("the token listing holds no secret", (422 if leaked else status, listed), 200)
    p.expect("another user cannot revoke it", baas.call("DELETE", f"/api/tokens/{issued.get('id')}", owner), 404)
    p.expect("its owner revokes it", baas.call("DELETE", f"/api/tokens/{issued.get('id')}", member), 204)
    p.expect("a revoked API token is refused", baas.call("GET", "/api/me", issued.get("token")), 401)

    # A password change ends the other sessions.
    other = baas.login(signin["mem"], PASSWORD)
    change = {"current": PASSWORD, "new": PASSWORD + "!"}
    p.expect("the password changes", baas.call("POST", "/api/me/password", member, change), 204)
    p.expect("another session of the account ended with it", baas.call("GET", "/api/me", other), 401)

    # Webhooks pointed inside.
    for url, kind in [
        ("http://127.0.0.1:7080/api/health", "loopback"),
        ("http://localhost:22/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://2130706433/", "loopback"),
    ]:
        p.expect(f"a webhook to {url} is refused", baas.call("POST", "/api/webhooks", owner, {"url": url}), 422, kind)

    # Numbers that overflow.
    huge = 'name = "probe-huge"\nchannel = "weft"\nconsensus = "solo"\n[resources]\ncpu = 1.0\nmemory_mb = 18446744073709551615\ndisk_gb = 10\nbandwidth_mbps = 100\n[[orgs]]\nid = "Org1"\nnodes = 1\nroles = ["peer", "orderer"]\n'
    p.expect("a template with 2^64 MB of memory is refused", baas.call("POST", "/api/templates", owner, {"toml": huge}), 422, "memory_mb")
    p.expect("a certificate window of 2^63 days is refused", baas.call("GET", "/api/chains/x/certificates?within_days=9223372036854775806", owner), 422, "within_days")
    quota = {"max_chains": 9223372036854775807, "max_nodes": 1, "max_cpu": 1.0, "max_memory_mb": 1, "max_disk_gb": 1}
    p.expect("a quota of 2^63 chains is refused", baas.call("PUT", f"/api/tenants/{tenant}/quota", admin, quota), 422, "max_chains")
    p.expect("the template list still answers", baas.call("GET", "/api/templates", owner), 200)

    # A chain user's bound token: transacts, escalates nowhere, dies with the user.
    status, made = baas.call("POST", "/api/chains", owner, {"name": "probe", "template": "solo-1"})
    if status != 202:
        raise SystemExit(f"cannot make a chain: {status} {made}")
    chain = made["chain"]["id"]
    job = wait_job(baas, owner, made["job"]["id"])
    if job.get("status") != "succeeded":
        raise SystemExit(f"the probe chain failed: {job}")
    try:
        status, enrolled = baas.call("POST", f"/api/chains/{chain}/users", owner, {"name": "probe-app"})
        user = enrolled["user"]["id"]
        status, bound = baas.call("POST", f"/api/chains/{chain}/users/{user}/tokens", owner, {"name": "app"})
        app = bound["token"]
        p.expect("a bound token cannot mint an unbound one", baas.call("POST", "/api/tokens", app, {"name": "escalate"}), 403, "bound to a chain user")
        p.expect("a bound token cannot read its issuer's account", baas.call("GET", "/api/me", app), 403)
        p.expect("a bound token cannot list the tenant's users", baas.call("GET", f"/api/tenants/{tenant}/users", app), 403)
        p.expect("a bound token cannot delete its chain", baas.call("DELETE", f"/api/chains/{chain}", app), 403)
        p.expect("a bound token cannot enroll users", baas.call("POST", f"/api/chains/{chain}/users", app, {"name": "x"}), 403)
        p.expect("the chain user is revoked", baas.call("POST", f"/api/chains/{chain}/users/{user}/revoke", owner, {}), 200)
        evaluate = {"function": "ReadAsset", "args": ["a"]}
        p.expect("a revoked chain user's token is refused", baas.call("POST", f"/api/chains/{chain}/contracts/x/evaluate", app, evaluate), 401, "revoked")
    finally:
        status, deleted = baas.call("DELETE", f"/api/chains/{chain}", owner)
        if status == 202 and isinstance(deleted, dict) and "id" in deleted:
            wait_job(baas, owner, deleted["id"])

    print(f"{p.passed} passed, {len(p.holes)} failed")
    return 1 if p.holes else 0


if __name__ == "__main__":
    sys.exit(main())
