"""Signing in to /app: the second step for an agent with two-factor authentication on (codes made
here per RFC 6238), signing out (the session ends on the server too), and the workspace name
remembered for the next sign-in, or forgotten when the person says so."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
import uuid

from playwright.sync_api import expect

from harness import APP_PATH, WORKSPACE_NAV, Api


def totp(secret: str, step: int) -> str:
    """The six-digit HMAC-SHA1 code of one 30-second step (RFC 6238 over RFC 4226)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def new_agent(kefu, owner, name: str) -> tuple[str, str]:
    roles = {r["name"]: r["id"] for r in owner.call("GET", "/api/v1/roles")["items"]}
    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@demo.kefu.local"
    password = "agent-password-" + uuid.uuid4().hex[:8]
    owner.call("POST", "/api/v1/users", {"email": email, "displayName": name, "password": password, "roleId": roles["Agent"],
                                         "maxConcurrentChats": 0})
    return email, password


def sign_out(page) -> None:
    page.get_by_role("button", name=re.compile("^Account:")).click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.locator("kefu-sign-in form")).to_be_visible()


def test_an_agent_with_two_factor_on_signs_in_with_a_code_and_a_wrong_code_is_refused(kefu, owner, contexts):
    email, password = new_agent(kefu, owner, "Wang")
    agent = Api.login(kefu.url, email, password)
    secret = agent.call("POST", "/api/v1/me/two-factor")["secret"]
    step = int(time.time()) // 30
    codes = agent.call("POST", "/api/v1/me/two-factor/confirm", {"code": totp(secret, step - 1)})["recoveryCodes"]
    assert codes and agent.call("GET", "/api/v1/me/two-factor")["enabled"] is True

    page = contexts().new_page()
    page.goto(kefu.url + APP_PATH)
    form = page.locator("kefu-sign-in form")
    form.get_by_role("textbox", name="Workspace").fill("demo")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in").click()

    # The password was right: the second step asks for the code, and nothing is signed in yet.
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    expect(page.get_by_text(f"Signing in as {email}")).to_be_visible()
    code = page.get_by_label("Authentication code")
    expect(code).to_be_focused()
    assert page.request.get(kefu.url + "/api/v1/me").status == 401

    step = int(time.time()) // 30
    wrong = next(c for c in ("000000", "111111", "222222") if c not in {totp(secret, s) for s in range(step - 1, step + 2)})
    code.fill(wrong)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid.")
    expect(page.get_by_role("navigation", name=WORKSPACE_NAV["en"])).to_have_count(0)

    code.fill(totp(secret, int(time.time()) // 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("navigation", name=WORKSPACE_NAV["en"])).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Account: Wang"))).to_be_visible()


def test_sign_out_ends_the_session_and_the_workspace_name_is_remembered_unless_unticked(kefu, owner, contexts):
    email, password = new_agent(kefu, owner, "Zhao")
    page = contexts().new_page()
    page.goto(kefu.url + APP_PATH)
    form = page.locator("kefu-sign-in form")
    tenant = form.get_by_role("textbox", name="Workspace")
    expect(tenant).to_have_value("")
    tenant.fill("demo")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    expect(form.get_by_role("checkbox", name="Remember this workspace")).to_be_checked()
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name=WORKSPACE_NAV["en"])).to_be_visible()
    assert page.request.get(kefu.url + "/api/v1/me").status == 200

    # Signing out ends the session on the server, not only on the page.
    sign_out(page)
    assert page.request.get(kefu.url + "/api/v1/me").status == 401
    expect(form.get_by_role("textbox", name="Workspace")).to_have_value("demo")
    expect(form.get_by_label("Email")).to_be_focused()

    # After a reload (a new visit), the workspace is still filled in.
    page.reload()
    expect(form.get_by_role("textbox", name="Workspace")).to_have_value("demo")
    expect(page.get_by_role("navigation", name=WORKSPACE_NAV["en"])).to_have_count(0)

    # Unticked, the next sign-in forgets it.
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("checkbox", name="Remember this workspace").uncheck()
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name=WORKSPACE_NAV["en"])).to_be_visible()
    sign_out(page)
    page.reload()
    expect(form.get_by_role("textbox", name="Workspace")).to_have_value("")
    expect(form.get_by_role("textbox", name="Workspace")).to_be_focused()
