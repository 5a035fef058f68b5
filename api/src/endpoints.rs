//! Every route and the access it needs, as data. The authorisation layer enforces this
//! table before any handler runs (a route missing from it is refused), and tests walk it:
//! the OpenAPI document must list exactly these routes, and the authorisation matrix tries
//! each one with every scope and tenant.

use crate::auth::Scope;

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, readiness, metrics, the OpenAPI document).
    Public,
    /// No API key: the request carries its own credential, checked by the handler before
    /// anything else (a provider callback's signature, a document URL's token).
    OwnCredential,
    /// Any valid key.
    Authenticated,
    /// A key with this scope; a tenant key reaches only its tenant's objects.
    Scope(Scope),
    /// A platform key (no tenant) with this scope.
    PlatformScope(Scope),
}

/// One route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// The path template, as routed (`/v1/plugins/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Whether it acts on one tenant-owned object named in the path (the matrix test
    /// checks another tenant's key is refused).
    pub tenant_object: bool,
}

const fn ep(method: &'static str, path: &'static str, access: Access, obj: bool) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        tenant_object: obj,
    }
}

use Access::{Authenticated, OwnCredential, PlatformScope, Public};

/// The table.
pub const ENDPOINTS: &[Endpoint] = &[
    ep("GET", "/healthz", Public, false),
    ep("GET", "/readyz", Public, false),
    ep("GET", "/metrics", Public, false),
    ep("GET", "/openapi.json", Public, false),
    ep("GET", "/v1/whoami", Authenticated, false),
    ep(
        "GET",
        "/v1/plugins",
        Access::Scope(Scope::PluginsRead),
        false,
    ),
    ep(
        "POST",
        "/v1/plugins",
        Access::Scope(Scope::PluginsInstall),
        false,
    ),
    ep(
        "GET",
        "/v1/plugins/{id}",
        Access::Scope(Scope::PluginsRead),
        true,
    ),
    ep(
        "DELETE",
        "/v1/plugins/{id}",
        Access::Scope(Scope::PluginsInstall),
        true,
    ),
    ep(
        "GET",
        "/v1/plugins/{id}/logs",
        Access::Scope(Scope::PluginsRead),
        true,
    ),
    ep(
        "GET",
        "/v1/plugins/{id}/config",
        Access::Scope(Scope::PluginsRead),
        true,
    ),
    ep(
        "PUT",
        "/v1/plugins/{id}/config",
        Access::Scope(Scope::PluginsOperate),
        true,
    ),
    ep(
        "GET",
        "/v1/plugins/{id}/dead-letters",
        Access::Scope(Scope::PluginsRead),
        true,
    ),
    ep(
        "POST",
        "/v1/plugins/{id}/dead-letters/{event_id}/replay",
        Access::Scope(Scope::PluginsOperate),
        true,
    ),
    ep(
        "DELETE",
        "/v1/plugins/{id}/dead-letters/{event_id}",
        Access::Scope(Scope::PluginsOperate),
        true,
    ),
    ep(
        "POST",
        "/v1/plugins/{id}/approve",
        Access::Scope(Scope::PluginsApprove),
        true,
    ),
    ep(
        "POST",
        "/v1/plugins/{id}/reject",
        Access::Scope(Scope::PluginsApprove),
        true,
    ),
    ep(
        "POST",
        "/v1/plugins/{id}/start",
        Access::Scope(Scope::PluginsOperate),
        true,
    ),
    ep(
        "POST",
        "/v1/plugins/{id}/stop",
        Access::Scope(Scope::PluginsOperate),
        true,
    ),
    ep(
        "POST",
        "/v1/plugins/{id}/restart",
        Access::Scope(Scope::PluginsOperate),
        true,
    ),
    ep(
        "POST",
        "/v1/plugins/{id}/quarantine/clear",
        Access::Scope(Scope::PluginsOperate),
        true,
    ),
    ep("GET", "/v1/audit", Access::Scope(Scope::AuditRead), false),
    ep(
        "POST",
        "/v1/webhooks",
        Access::Scope(Scope::PluginsOperate),
        false,
    ),
    ep(
        "GET",
        "/v1/webhooks",
        Access::Scope(Scope::PluginsOperate),
        false,
    ),
    ep(
        "DELETE",
        "/v1/webhooks/{id}",
        Access::Scope(Scope::PluginsOperate),
        false,
    ),
    ep(
        "GET",
        "/v1/webhooks/{id}/dead-letters",
        Access::Scope(Scope::PluginsOperate),
        false,
    ),
    ep(
        "POST",
        "/v1/webhooks/{id}/dead-letters/{event_id}/replay",
        Access::Scope(Scope::PluginsOperate),
        false,
    ),
    ep(
        "DELETE",
        "/v1/webhooks/{id}/dead-letters/{event_id}",
        Access::Scope(Scope::PluginsOperate),
        false,
    ),
    ep("GET", "/v1/keys", Access::Scope(Scope::KeysManage), false),
    ep("POST", "/v1/keys", Access::Scope(Scope::KeysManage), false),
    ep(
        "DELETE",
        "/v1/keys/{id}",
        Access::Scope(Scope::KeysManage),
        true,
    ),
    ep(
        "GET",
        "/v1/tenants",
        PlatformScope(Scope::KeysManage),
        false,
    ),
    ep(
        "POST",
        "/v1/tenants",
        PlatformScope(Scope::KeysManage),
        false,
    ),
    ep("GET", "/v1/trust", PlatformScope(Scope::TrustManage), false),
    ep(
        "POST",
        "/v1/trust/keys",
        PlatformScope(Scope::TrustManage),
        false,
    ),
    ep(
        "POST",
        "/v1/trust/revocations",
        PlatformScope(Scope::TrustManage),
        false,
    ),
    ep(
        "PUT",
        "/v1/plugins/{id}/secrets/{name}",
        Access::Scope(Scope::PluginsOperate),
        true,
    ),
    ep("POST", "/v1/faxes", Access::Scope(Scope::FaxSend), false),
    ep("GET", "/v1/faxes", Access::Scope(Scope::FaxRead), false),
    ep("GET", "/v1/faxes/{id}", Access::Scope(Scope::FaxRead), true),
    ep(
        "POST",
        "/v1/faxes/{id}/cancel",
        Access::Scope(Scope::FaxSend),
        true,
    ),
    ep("GET", "/v1/faxes/{id}/document", OwnCredential, false),
    ep("POST", "/v1/callbacks/{transport}", OwnCredential, false),
    ep(
        "POST",
        "/v1/callbacks/{transport}/inbound",
        OwnCredential,
        false,
    ),
    ep(
        "PUT",
        "/v1/transports/{name}/secrets/{key}",
        PlatformScope(Scope::KeysManage),
        false,
    ),
];

/// The endpoint routed as `method path`.
pub fn find(method: &str, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS
        .iter()
        .find(|e| e.method == method && e.path == path)
}
