/**
 * <kefu-sign-in>: the workspace's sign-in (tenant, email, password, then a TOTP step when the
 * server answers two-factor-required). Signs in with "mode":"cookie", so page scripts never see
 * the session secret. Remembers the tenant in localStorage. Fires "signed-in" (bubbles) with the
 * login answer when done.
 */
import { post } from "./api.js";
import { append, h, replace, uid } from "./dom.js";
import { icon } from "./icons.js";
import { languageEvents, t } from "./strings.js";
import { languageSelect } from "./language-select.js";

const tenantKey = "kefu:app:tenant";

function rememberedTenant() {
  try { return localStorage.getItem(tenantKey) ?? ""; } catch { return ""; }
}

class SignIn extends HTMLElement {
  constructor() {
    super();
    const fromQuery = new URLSearchParams(location.search).get("tenant");
    this.values = { tenant: fromQuery || rememberedTenant(), email: "", password: "", totp: "" };
    this.remember = true;
    this.step = "password";
    this.busy = false;
    this.error = "";
    this.showPassword = false;
    this.notice = "";
    this.onLanguage = () => this.render();
  }

  connectedCallback() {
    languageEvents.addEventListener("change", this.onLanguage);
    this.render();
    this.focusFirst();
  }

  disconnectedCallback() {
    languageEvents.removeEventListener("change", this.onLanguage);
  }

  /** A message shown above the form (e.g. "Your session ended"). */
  set message(text) {
    this.notice = text;
    if (this.isConnected) this.render();
  }

  focusFirst() {
    queueMicrotask(() => {
      const name = this.step === "totp" ? "totp" : (!this.values.tenant ? "tenant" : (!this.values.email ? "email" : "password"));
      this.querySelector(`[name="${name}"]`)?.focus();
    });
  }

  field(name, label, { type = "text", autocomplete, hint, inputmode, extra } = {}) {
    const id = uid("f");
    const hintId = hint ? uid("hint") : undefined;
    const input = h("input", {
      id, name, type, autocomplete, inputmode,
      class: "input",
      value: this.values[name],
      required: true,
      spellcheck: "false",
      autocapitalize: "off",
      "aria-describedby": hintId,
      oninput: (event) => { this.values[name] = event.target.value; this.clearFieldError(event.target); },
    });
    return h("div", { class: "field" },
      h("label", { for: id, class: "label" }, label),
      extra ? h("div", { class: "input-with-action" }, input, extra) : input,
      hint ? h("p", { id: hintId, class: "field-hint" }, hint) : null,
    );
  }

  clearFieldError(input) {
    input.removeAttribute("aria-invalid");
    input.closest(".field")?.querySelector(".field-error")?.remove();
  }

  passwordToggle() {
    return h("button", {
      type: "button",
      class: "input-action",
      "aria-label": this.showPassword ? t("signIn.hidePassword") : t("signIn.showPassword"),
      "aria-pressed": String(this.showPassword),
      onclick: () => {
        this.showPassword = !this.showPassword;
        const input = this.querySelector('[name="password"]');
        input.type = this.showPassword ? "text" : "password";
        const button = input.nextElementSibling;
        button.setAttribute("aria-pressed", String(this.showPassword));
        button.setAttribute("aria-label", this.showPassword ? t("signIn.hidePassword") : t("signIn.showPassword"));
        button.replaceChildren(icon(this.showPassword ? "eyeOff" : "eye"));
      },
    }, icon(this.showPassword ? "eyeOff" : "eye"));
  }

  render() {
    const titleId = uid("signin-title");
    const form = h("form", { class: "signin-card", novalidate: true, "aria-labelledby": titleId, onsubmit: (event) => this.submit(event) });
    if (this.step === "password") {
      append(form, [
        h("h1", { id: titleId, class: "signin-title" }, t("signIn.title")),
        h("p", { class: "signin-subtitle" }, t("signIn.subtitle")),
        this.notice ? h("p", { class: "banner banner-info", role: "status" }, this.notice) : null,
        h("div", { class: "form-error", role: "alert" }, this.error ? [icon("alert", 16), h("span", null, this.error)] : null),
        this.field("tenant", t("signIn.tenant"), { autocomplete: "organization", hint: t("signIn.tenantHint") }),
        this.field("email", t("signIn.email"), { type: "email", autocomplete: "username", inputmode: "email" }),
        this.field("password", t("signIn.password"), { type: this.showPassword ? "text" : "password", autocomplete: "current-password", extra: this.passwordToggle() }),
        h("label", { class: "checkbox" },
          h("input", { type: "checkbox", name: "remember", checked: this.remember, onchange: (event) => { this.remember = event.target.checked; } }),
          h("span", null, t("signIn.remember"))),
        h("button", { type: "submit", class: "button button-primary button-block", disabled: this.busy, "aria-busy": String(this.busy) },
          this.busy ? h("span", { class: "spinner", "aria-hidden": "true" }) : null,
          this.busy ? t("signIn.submitting") : t("signIn.submit")),
      ]);
    } else {
      append(form, [
        h("div", { class: "signin-step-icon", "aria-hidden": "true" }, icon("shield", 28)),
        h("h1", { id: titleId, class: "signin-title" }, t("signIn.totpTitle")),
        h("p", { class: "signin-subtitle" }, t("signIn.totpHelp")),
        h("p", { class: "signin-as" }, t("signIn.signedInAs", { email: this.values.email })),
        h("div", { class: "form-error", role: "alert" }, this.error ? [icon("alert", 16), h("span", null, this.error)] : null),
        this.field("totp", t("signIn.totp"), { autocomplete: "one-time-code", inputmode: "text" }),
        h("button", { type: "submit", class: "button button-primary button-block", disabled: this.busy, "aria-busy": String(this.busy) },
          this.busy ? h("span", { class: "spinner", "aria-hidden": "true" }) : null,
          this.busy ? t("signIn.submitting") : t("signIn.verify")),
        h("button", { type: "button", class: "button button-ghost button-block", onclick: () => this.back() }, t("signIn.back")),
      ]);
    }
    replace(this,
      h("div", { class: "signin" },
        h("aside", { class: "signin-brand" },
          h("div", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, icon("message", 20)), h("span", { class: "brand-name" }, t("app.name"))),
          h("div", { class: "signin-showcase", "aria-hidden": "true" },
            h("div", { class: "showcase-card" },
              h("div", { class: "showcase-row showcase-in" }, h("span", { class: "showcase-avatar" }, "L"), h("span", { class: "showcase-bubble" }, t("signIn.showcase1"))),
              h("div", { class: "showcase-row showcase-out" }, h("span", { class: "showcase-bubble" }, t("signIn.showcase2"))),
              h("div", { class: "showcase-row showcase-in" }, h("span", { class: "showcase-avatar" }, "L"), h("span", { class: "showcase-bubble" }, t("signIn.showcase3"))),
              h("div", { class: "showcase-typing" }, h("span"), h("span"), h("span")),
            ),
          ),
          h("div", { class: "signin-pitch" },
            h("p", { class: "signin-tagline" }, t("signIn.tagline")),
            h("ul", { class: "signin-points" },
              ["signIn.point1", "signIn.point2", "signIn.point3"].map((key) => h("li", null, icon("check", 16), h("span", null, t(key)))))),
          h("p", { class: "signin-footer" }, t("signIn.footer")),
        ),
        h("main", { class: "signin-main" },
          h("div", { class: "signin-top" }, languageSelect()),
          form,
        ),
      ),
    );
  }

  back() {
    this.step = "password";
    this.values.totp = "";
    this.error = "";
    this.render();
    this.focusFirst();
  }

  validate() {
    const names = this.step === "totp" ? ["totp"] : ["tenant", "email", "password"];
    let first = null;
    for (const name of names) {
      const input = this.querySelector(`[name="${name}"]`);
      this.clearFieldError(input);
      if (!input.value.trim()) {
        input.setAttribute("aria-invalid", "true");
        const errorId = uid("err");
        input.closest(".field").append(h("p", { id: errorId, class: "field-error" }, t("signIn.error.required")));
        input.setAttribute("aria-errormessage", errorId);
        first ??= input;
      }
    }
    first?.focus();
    return !first;
  }

  async submit(event) {
    event.preventDefault();
    if (this.busy || !this.validate()) return;
    this.busy = true;
    this.error = "";
    this.render();
    const body = {
      tenant: this.values.tenant.trim(),
      email: this.values.email.trim(),
      password: this.values.password,
      mode: "cookie",
    };
    if (this.step === "totp") body.totp = this.values.totp.replace(/\s+/g, "");
    try {
      const answer = await post("/api/v1/auth/login", body, { quiet401: true });
      try {
        if (this.remember) localStorage.setItem(tenantKey, body.tenant);
        else localStorage.removeItem(tenantKey);
      } catch { /* storage blocked */ }
      this.values.password = "";
      this.dispatchEvent(new CustomEvent("signed-in", { bubbles: true, detail: answer }));
    } catch (error) {
      this.busy = false;
      if (error.code === "two-factor-required") {
        this.step = "totp";
        this.error = "";
      } else if (error.code === "rate-limited") {
        this.error = t("signIn.error.rate-limited", { seconds: error.retryAfter ?? 60 });
      } else if (["invalid-credentials", "two-factor-invalid", "account-disabled", "network"].includes(error.code)) {
        this.error = t(`signIn.error.${error.code}`);
      } else {
        this.error = t("signIn.error.generic", { code: error.code });
      }
      this.render();
      if (this.error) {
        const field = this.querySelector(this.step === "totp" ? '[name="totp"]' : '[name="password"]');
        field?.focus();
        field?.select();
      }
      else this.focusFirst();
    }
  }
}

customElements.define("kefu-sign-in", SignIn);
