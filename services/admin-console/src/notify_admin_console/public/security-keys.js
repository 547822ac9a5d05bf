// Security keys (WebAuthn): registering one on "Security keys" and signing in with one. The
// server makes the options and checks the answers; this carries them between it and the
// browser's navigator.credentials, turning base64url fields into bytes and back.
const button = document.querySelector("[data-security-key]");
const problem = (name) => document.querySelector(`[data-security-key-problem="${name}"]`);

const toBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
};
const toText = (buffer) => {
  let binary = "";
  new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const descriptors = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": button.dataset.csrfToken },
    body: JSON.stringify(body || {}),
  });
  if (response.redirected) {  // the session ended meanwhile: the console sent us to sign in
    window.location.assign(response.url);
    throw new Error("signed out");
  }
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401 && answer.redirect_url) window.location.assign(answer.redirect_url);
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

async function register() {
  const options = await post("/webauthn/register/options");
  const credential = await navigator.credentials.create({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: descriptors(options.excludeCredentials),
    },
  });
  return post("/webauthn/register", {
    credential: {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toText(credential.response.clientDataJSON),
        attestationObject: toText(credential.response.attestationObject),
        transports: credential.response.getTransports ? credential.response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    },
  });
}

async function authenticate() {
  const options = await post("/two-factor/security-key/options");
  const credential = await navigator.credentials.get({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    },
  });
  return post("/two-factor/security-key", {
    credential: {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toText(credential.response.clientDataJSON),
        authenticatorData: toText(credential.response.authenticatorData),
        signature: toText(credential.response.signature),
        userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    },
  });
}

if (button) {
  problem("no-js").hidden = true;
  if (!window.PublicKeyCredential || !navigator.credentials) {
    problem("unsupported").hidden = false;
  } else {
    button.hidden = false;
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const done = await (button.dataset.securityKey === "register" ? register() : authenticate());
        window.location.assign(done.redirect_url);
      } catch (error) {
        const banner = problem("failed");
        banner.hidden = false;
        banner.focus();
        button.disabled = false;
      }
    });
  }
}
