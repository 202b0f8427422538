"""What the benchmarks share: logging in as the development user `nexus seed` creates."""

from __future__ import annotations

import httpx

DEV_EMAIL = "dev@nexus-graph.example"
DEV_PASSWORD = "nexus-dev-password"  # noqa: S105 - the documented development login

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken }
}
"""


def login(url: str, email: str = DEV_EMAIL, password: str = DEV_PASSWORD) -> str:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": LOGIN, "variables": {"email": email, "password": password}},
        timeout=30,
    )
    body = response.json()
    if body.get("errors"):
        raise SystemExit(f"login as {email} failed: {body['errors'][0]['message']}")
    token: str = body["data"]["login"]["accessToken"]
    return token
