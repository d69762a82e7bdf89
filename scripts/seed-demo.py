#!/usr/bin/env python3
"""Creates a demo recruiter, role and interview in a running control-api and prints the
candidate's invite link and the console's sign-in. Used by scripts/run.sh at start; safe
to run again (the account is reused; each run makes a new interview and link).

    scripts/seed-demo.py http://127.0.0.1:8000
"""
import json
import sys
import urllib.error
import urllib.request

EMAIL = "recruiter@example.com"
PASSWORD = "quiet-harbor-lantern-42"


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    base = sys.argv[1].rstrip("/")
    credentials = {"email": EMAIL, "password": PASSWORD}
    call(base, "POST", "/api/v1/auth/register", credentials)
    status, login = call(base, "POST", "/api/v1/auth/login", credentials)
    if status != 200:
        sys.exit(f"demo: cannot sign in as {EMAIL}: {status} {login}")
    token = login["access_token"]
    role = {
        "name": "Backend Engineer",
        "category": "engineering",
        "experience_level": "senior",
        "description": "Builds and runs the services behind our product.",
        "required_skills": [
            {"name": "Rust", "level": "Expert"},
            {"name": "PostgreSQL", "level": "Advanced"},
            {"name": "Distributed systems", "level": "Advanced"},
        ],
        "interview_structure": {"technical": 3, "behavioral": 1, "coding": 0},
        "rubric": [
            {"name": "Technical depth", "weight": 0.5},
            {"name": "Problem solving", "weight": 0.3},
            {"name": "Communication", "weight": 0.2},
        ],
    }
    status, roles = call(base, "GET", "/api/v1/roles", token=token)
    existing = [r for r in (roles or []) if r.get("name") == role["name"]] if status == 200 else []
    if existing:
        role_id = existing[0]["id"]
    else:
        status, created = call(base, "POST", "/api/v1/roles", role, token)
        if status not in (200, 201):
            sys.exit(f"demo: role not created: {status} {created}")
        role_id = created["id"]
    interview = {
        "title": "Backend Engineer: demo interview",
        "role_id": role_id,
        "candidate_name": "Alex",
        "duration_minutes": 10,
        "language": "en",
    }
    status, created = call(base, "POST", "/api/v1/interviews", interview, token)
    if status not in (200, 201):
        sys.exit(f"demo: interview not created: {status} {created}")
    status, invite = call(
        base, "POST", f"/api/v1/interviews/{created['id']}/invites", {}, token
    )
    if status != 201:
        sys.exit(f"demo: invite not created: {status} {invite}")
    print(f"  candidate       {invite['url']}")
    print(f"                  (a 10-minute interview for the demo role; open it and talk)")
    print(f"  recruiter       {base}/   sign in as {EMAIL} / {PASSWORD}")


if __name__ == "__main__":
    main()
